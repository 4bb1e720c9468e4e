"""Step checks: after a step, did the world change the way the step promised?

The step's promise is `agent.effects.expected_effect(step)` (predicates of the scenario
format); the world is whatever a `Perception` sees (cameras with `VisionPerception`, the
simulator's state with `StatePerception`). The agent's dispatch loop does the same inline;
this is the reusable form, with the reasons spelled out for the planner and the log.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agent.effects import expected_effect
from agent.schema import PlanStep
from perception.base import Perception


@dataclass
class StepCheck:
    ok: bool
    expected: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # predicates that do not hold
    errors: list[str] = field(default_factory=list)  # predicates that could not be evaluated

    @property
    def reason(self) -> str:
        if self.ok:
            return ""
        parts = []
        if self.failed:
            parts.append("expected " + ", ".join(self.failed) + " but it does not hold")
        parts.extend(self.errors)
        return "; ".join(parts)


def check_step(perception: Perception, step: PlanStep | dict) -> StepCheck:
    """Evaluate every predicate `step` promises; a step that promises nothing checks as ok."""
    if isinstance(step, dict):
        step = PlanStep.model_validate(step)
    expected = expected_effect(step)
    failed, errors = [], []
    for pred in expected:
        try:
            if not perception.holds(pred):
                failed.append(pred)
        except ValueError as e:
            errors.append(f"{pred}: {e}")
    return StepCheck(ok=not failed and not errors, expected=expected, failed=failed, errors=errors)


class StepChecker:
    """Holds the perception the checks look through: `StepChecker(p).check(step)`."""

    def __init__(self, perception: Perception) -> None:
        self.perception = perception

    def check(self, step: PlanStep | dict) -> StepCheck:
        return check_step(self.perception, step)
