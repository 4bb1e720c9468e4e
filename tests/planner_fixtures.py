"""A skill registry and a scene for planner backend tests, independent of the real skills'
run loops (only names, descriptions and argument models matter to a planner)."""

from __future__ import annotations

import json

from agent.schema import PlannerInput, PlanStep, SceneObject, SkillInfo
from skills.api import Skill
from skills.builtin.args import HomeArgs, PlaceArgs, PutBackArgs
from skills.registry import SkillRegistry


class _Place(Skill):
    name = "place"
    description = "Pick up an object and put it in, on, left of, right of or near another object."
    Args = PlaceArgs


class _PutBack(Skill):
    name = "put_back"
    description = "Return an object to where it stood when the session began."
    Args = PutBackArgs


class _Home(Skill):
    name = "home"
    description = "Move the arm to its rest pose."
    Args = HomeArgs


def registry() -> SkillRegistry:
    reg = SkillRegistry()
    for s in (_Place, _PutBack, _Home):
        reg.add(s, origin="builtin")
    return reg


def scene() -> list[SceneObject]:
    return [
        SceneObject(name="red cup", kind="cup", color="red", pos=(0.45, 0.12, 0.04)),
        SceneObject(name="blue cup", kind="cup", color="blue", pos=(0.40, -0.10, 0.04)),
        SceneObject(name="green block", kind="block", color="green", pos=(0.35, 0.0, 0.02)),
        SceneObject(name="bin", kind="bin", pos=(0.50, -0.28, 0.05), graspable=False),
        SceneObject(name="tray", kind="tray", color="white", pos=(0.30, 0.25, 0.01), graspable=False),
    ]


def planner_input(utterance: str = "Put the red cup in the bin and the green block on the tray.", **kw) -> PlannerInput:
    reg = registry()
    skills = [SkillInfo.model_validate(e) for e in reg.catalogue()]
    return PlannerInput(utterance=utterance, scene=scene(), skills=skills, **kw)


RED_TO_BIN = PlanStep(skill="place", args={"object": "red cup", "relation": "in", "target": "bin"},
                      instruction="put the red cup in the bin")
BLOCK_TO_TRAY = PlanStep(skill="place", args={"object": "green block", "relation": "on", "target": "tray"},
                         instruction="put the green block on the tray")


def turn_json(steps: list[PlanStep] | None = None, **fields) -> str:
    """A full turn as a served model writes it: every field, in schema order."""
    turn = {"say": fields.pop("say", "On it."), "question": None, "refused": False, "notes": [], "forget": [],
            "preempt": False, "control": "none"}
    turn.update(fields)
    turn["steps"] = [s if isinstance(s, dict) else s.model_dump() for s in (steps or [])]
    return json.dumps(turn)
