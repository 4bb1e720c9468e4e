"""Nothing a planner says reaches the robot unchecked: skills must exist, arguments must
validate, and every object an argument names must be in the scene."""

from __future__ import annotations

from pydantic import ValidationError

from agent.schema import PlannerTurn, PlanStep, SceneObject
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
    return problems


def turn_problems(turn: PlannerTurn, registry: SkillRegistry, scene: list[SceneObject]) -> list[str]:
    problems: list[str] = []
    for i, step in enumerate(turn.steps, start=1):
        problems += [f"step {i}: {p}" for p in step_problems(step, registry, scene)]
    if turn.question and turn.steps:
        problems.append("a turn that asks a question must not also plan steps")
    return problems
