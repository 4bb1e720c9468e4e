"""Test doubles for the session graph: a scripted planner, a joint-moving skill, a perception
that sees a fixed scene. They let graph tests check the flow (questions, pauses, corrections,
retries, resume) independently of language understanding and physics."""

from __future__ import annotations

import threading
from typing import Callable

import numpy as np
from pydantic import BaseModel, ConfigDict

from agent.schema import PlannerInput, PlannerTurn, PlanStep, SceneObject
from skills.api import Action, Outcome, Skill, SkillFailure
from skills.registry import SkillRegistry


class MoveArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    object: str
    to: float


class MoveJoint(Skill):
    """Drives joint 0 to `to` radians (the kinematic arm moves at a bounded speed)."""

    name = "move"
    description = "move joint 0"
    Args = MoveArgs
    rate_hz = 20.0
    time_limit_s = 60.0

    def run(self, args, ctx):
        obs = ctx.first_observation
        target = np.asarray(obs.joints, float).copy()
        target[0] = args.to
        while abs(obs.joints[0] - args.to) > 1e-3:
            obs = yield Action(joints=target, gripper=0.0)
        return Outcome.success(f"joint 0 at {args.to}")


class Flaky(MoveJoint):
    """Fails the first `fail_times` runs (counted on the class), then works."""

    name = "flaky"
    runs = 0
    fail_times = 1

    def run(self, args, ctx):
        type(self).runs += 1
        if type(self).runs <= type(self).fail_times:
            yield Action(joints=np.asarray(ctx.first_observation.joints), gripper=0.0)
            raise SkillFailure("the object slipped")
        return (yield from super().run(args, ctx))


def registry(*extra: type[Skill]) -> SkillRegistry:
    reg = SkillRegistry()
    for s in (MoveJoint, *extra):
        reg.add(s, origin="test")
    return reg


SCENE = [SceneObject(name="red cup", kind="cup", color="red", pos=(0.1, 0.1, 0.05)),
         SceneObject(name="bin", kind="bin", pos=(0.1, -0.3, 0.06), graspable=False)]


class FixedPerception:
    name = "fixed"

    def __init__(self, holds: Callable[[str], bool] = lambda p: True) -> None:
        self._holds = holds

    def scene(self) -> list[SceneObject]:
        return list(SCENE)

    def holds(self, predicate: str) -> bool:
        return self._holds(predicate)


def step(to: float, skill: str = "move", obj: str = "red cup") -> PlanStep:
    return PlanStep(skill=skill, args={"object": obj, "to": to}, instruction=f"{skill} {obj} to {to}")


class ScriptedPlanner:
    """Answers each utterance with the turn a function of the input gives; records the inputs."""

    name = "scripted"

    def __init__(self, respond: Callable[[PlannerInput], PlannerTurn]) -> None:
        self.respond = respond
        self.inputs: list[PlannerInput] = []
        self.lock = threading.Lock()

    def plan(self, inp: PlannerInput, on_step=None, cancel=None) -> PlannerTurn:
        with self.lock:
            self.inputs.append(inp)
        return self.respond(inp)
