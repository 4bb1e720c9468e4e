"""Handing validated steps to the caller's `on_step`, in order, each exactly once.

While a model streams, a step may be handed over as soon as its JSON closes, so the robot
starts moving while the rest of the plan is still being written. Once handed over a step is
never taken back: whatever the planner does later (re-asking the model, falling back to
another planner) the final turn begins with the steps already handed over.
"""

from __future__ import annotations

import json
import time
from typing import Any, Callable

from pydantic import ValidationError

from agent.planners.base import StepCallback
from agent.schema import PlannerInput, PlannerTurn, PlanStep, SceneObject
from agent.validate import step_problems
from agent.planners.turn_check import answer_problems
from skills.registry import SkillRegistry


def same_step(a: PlanStep, b: PlanStep) -> bool:
    return a.skill == b.skill and a.args == b.args


def merge_steps(delivered: list[PlanStep], new: list[PlanStep]) -> list[PlanStep]:
    """The plan once `new` arrives after `delivered` already started: `new` normally repeats
    the delivered steps first (the model is asked to); if it does not, the delivered ones still
    come first and any repeats of them are dropped."""
    k = len(delivered)
    if len(new) >= k and all(same_step(a, b) for a, b in zip(delivered, new[:k])):
        return list(delivered) + list(new[k:])
    return list(delivered) + [s for s in new if not any(same_step(s, d) for d in delivered)]


class StepDispatcher:
    def __init__(
        self,
        on_step: StepCallback | None,
        registry: SkillRegistry,
        scene: list[SceneObject],
        early: bool,
        clock: Callable[[], float] = time.monotonic,
        inp: PlannerInput | None = None,
    ) -> None:
        self._inp = inp  # for the checks a model's answer needs beyond the step's own
        self._on_step = on_step
        self._registry = registry
        self._scene = scene
        self._early = early and on_step is not None
        self._clock = clock
        self.delivered: list[PlanStep] = []
        self.early_count = 0  # steps handed over before their turn was complete
        self.first_step_at: float | None = None

    def stop_early(self) -> None:
        """No more steps straight from a stream (after a fault, or for a re-asked answer)."""
        self._early = False

    def offer_streamed(self, raw: str, header: dict[str, Any]) -> None:
        """A `steps` element has just closed in the stream. `header` holds the top-level
        members already complete; a question, a refusal or a control command before the steps
        means this turn does not start steps early."""
        if not self._early:
            return
        if header.get("question") is not None or header.get("refused") is True or header.get("control", "none") != "none":
            self._early = False
            return
        try:
            step = PlanStep.model_validate(json.loads(raw))
        except (ValueError, ValidationError):
            self._early = False
            return
        if step_problems(step, self._registry, self._scene) or (
                self._inp is not None and answer_problems(PlannerTurn(steps=[step]), self._inp)):
            # Order matters: nothing after an invalid step may start before it is resolved.
            # A step on a guessed or unasked-for object waits too: the turn will be sent back.
            self._early = False
            return
        self._deliver(step)
        self.early_count += 1

    def finish(self, turn: PlannerTurn) -> PlannerTurn:
        """The final turn: delivered steps first, the rest delivered now. A question or refusal
        that comes after steps already started cannot stop them; it is said instead."""
        steps = merge_steps(self.delivered, turn.steps)
        for step in steps[len(self.delivered) :]:
            self._deliver(step)
        update: dict[str, Any] = {"steps": steps}
        if self.delivered and (turn.question or turn.refused):
            update.update(say=" ".join(t for t in (turn.say, turn.question or "") if t), question=None, refused=False)
        return turn.model_copy(update=update)

    def _deliver(self, step: PlanStep) -> None:
        if self.first_step_at is None:
            self.first_step_at = self._clock()
        self.delivered.append(step)
        if self._on_step is not None:
            self._on_step(step)
