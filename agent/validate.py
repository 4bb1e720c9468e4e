"""Nothing a planner says reaches the robot unchecked: skills must exist, arguments must
validate, and every object an argument names must be in the scene."""

from __future__ import annotations

import functools
import re

from pydantic import ValidationError

from agent.config import Limits
from agent.schema import Note, PlannerTurn, PlanStep, SceneObject
from skills.registry import SkillRegistry

# Argument names whose values are object names in the scene.
OBJECT_ARGS = ("object", "target", "objects")


def step_problems(step: PlanStep, registry: SkillRegistry, scene: list[SceneObject]) -> list[str]:
    """Why this step cannot be run, or [] when it can."""
    if step.skill not in registry:
        return [f"unknown skill {step.skill!r} (known: {', '.join(registry.names())})"]
    problems: list[str] = []
    try:
        registry.get(step.skill).Args.model_validate(step.args)
    except ValidationError as e:
        for err in e.errors():
            where = ".".join(str(p) for p in err["loc"]) or "(arguments)"
            problems.append(f"{step.skill}: argument {where}: {err['msg']}")
    names = {o.name.lower() for o in scene}
    for key in OBJECT_ARGS:
        value = step.args.get(key)
        values = value if isinstance(value, list) else [value]
        for v in values:
            if isinstance(v, str) and v.lower() not in names:
                problems.append(f"{step.skill}: {key} {v!r} is not in the scene")
    problems += _relation_problems(step, scene)
    return problems


def _relation_problems(step: PlanStep, scene: list[SceneObject]) -> list[str]:
    """A placement "in" something that holds nothing inside it (a block, a tray, a cup): the
    kinds module says what each kind takes, and the arm would only drop the object on top."""
    from sim.kinds import KINDS, relation_for

    target, relation = step.args.get("target"), step.args.get("relation")
    if relation != "in" or not isinstance(target, str):
        return []
    obj = next((o for o in scene if o.name.lower() == target.lower()), None)
    if obj is None or obj.kind not in KINDS or relation_for(obj.kind) == "in":
        return []
    takes = relation_for(obj.kind)
    fix = 'things go "on" it' if takes == "on" else "nothing goes in or on it"
    return [f"{step.skill}: the {obj.name} is a {obj.kind}, not a container: {fix}"]


def limit_problems(turn: PlannerTurn, limits: Limits) -> list[str]:
    """Sizes over the configured limits (`[limits]` in the config file)."""
    problems = []
    if len(turn.steps) > limits.steps_per_turn:
        problems.append(f"the plan has {len(turn.steps)} steps, more than the {limits.steps_per_turn} "
                        "allowed in one turn (limits.steps_per_turn)")
    if len(turn.say) > limits.say_chars:
        problems.append(f"the reply is {len(turn.say)} characters, more than the {limits.say_chars} allowed "
                        "(limits.say_chars)")
    if turn.question is not None and len(turn.question) > limits.question_chars:
        problems.append(f"the question is {len(turn.question)} characters, more than the "
                        f"{limits.question_chars} allowed (limits.question_chars)")
    if len(turn.notes) > limits.notes_per_turn or len(turn.forget) > limits.notes_per_turn:
        problems.append(f"the turn adds or drops {max(len(turn.notes), len(turn.forget))} notes, more than the "
                        f"{limits.notes_per_turn} allowed (limits.notes_per_turn)")
    return problems


def turn_problems(turn: PlannerTurn, registry: SkillRegistry, scene: list[SceneObject],
                  limits: Limits | None = None) -> list[str]:
    problems = limit_problems(turn, limits or Limits())
    if problems:
        return problems  # nothing in an oversized turn is looked at further
    for i, step in enumerate(turn.steps, start=1):
        problems += [f"step {i}: {p}" for p in step_problems(step, registry, scene)]
    if turn.question and turn.steps:
        problems.append("a turn that asks a question must not also plan steps")
    return problems


# A note is a preference about objects and places ("cups go on the tray", "leave the plate
# where it is"). One that speaks about the robot itself, its rules, skills or safety, or that
# carries code, addresses or paths, is an instruction smuggled into memory: it is not kept.
_ABOUT_THE_ROBOT = re.compile(
    r"\b(?:ignore|disregard|override|bypass|disable|deactivate|turn off|switch off|safety|safe mode|"
    r"emergency|e-?stop|skills?|shell|system|sudo|admin|root|execute|script|code|command|prompt|"
    r"instructions?|rules?|policy|policies|planner|model|password|token|api|url|http|https|file|folder|"
    r"path|network|server|limits?|unchecked|without checking|yourself|your own)\b"
    r"|[{}\[\]<>`$|;\\]|://|\.\w+\(|\bos\.|\brm\s+-", re.I)


@functools.lru_cache(maxsize=1)
def _place_words() -> frozenset[str]:
    from agent.planners.rules import lexicon as lx

    words = set(lx.KIND_WORDS) | set(lx.COLOR_WORDS) | set(lx.SIDE_WORDS) | set(lx.EVERYTHING_WORDS)
    words |= set(lx.SINGULAR_ANY_WORDS) | {w for ws in lx.CATEGORY_WORDS.values() for w in ws}
    words |= set(lx.CATEGORY_WORDS) | set(lx.MASS_NOUNS)
    words |= {"things", "objects", "items", "table", "left", "right", "front", "back", "middle", "center", "centre"}
    return frozenset(w.lower() for w in words)


def note_problems(note: Note, limits: Limits | None = None) -> list[str]:
    """Why a note from a planner must not be kept, or [] when it may."""
    limits = limits or Limits()
    text = note.text.strip()
    if not text:
        return ["the note is empty"]
    if len(text) > limits.note_chars:
        return [f"the note is {len(text)} characters, more than the {limits.note_chars} allowed (limits.note_chars)"]
    if any(ord(c) < 32 or 0x7f <= ord(c) < 0xa0 for c in text):
        return ["the note holds control characters"]
    m = _ABOUT_THE_ROBOT.search(text)
    if m:
        return [f"the note is about the robot itself ({m.group(0)!r}), not a preference about objects or places"]
    words = set(re.findall(r"[a-z]+", text.lower()))
    if not words & _place_words():
        return ["the note names no object or place the robot knows"]
    return []
