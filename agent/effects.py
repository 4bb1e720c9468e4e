"""What a step should have changed in the world, as predicates of the scenario format."""

from __future__ import annotations

from agent.schema import PlanStep


def expected_effect(step: PlanStep) -> list[str]:
    """Predicates that must hold after `step` succeeded; [] when a skill promises nothing checkable."""
    a = step.args
    if step.skill == "place" and {"object", "relation", "target"} <= a.keys():
        return [f"{a['relation']}({a['object']}, {a['target']})"]
    if step.skill == "put_back" and "object" in a:
        return [f"near({a['object']}, {a['object']}@start)"]
    return []


def objects_of(step: PlanStep) -> list[str]:
    """The objects a step moves (what `it` may refer to afterwards)."""
    obj = step.args.get("object")
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, list):
        return [o for o in obj if isinstance(o, str)]
    return []
