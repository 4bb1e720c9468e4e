"""What a planner backend is: a function from the planner input to a planner turn."""

from __future__ import annotations

import threading
from typing import Callable, Protocol

from agent.schema import PlannerInput, PlannerTurn, PlanStep

# Called with each step as soon as it is complete and validated, before the rest of the
# turn is known, so the first step can start while a streaming model is still writing.
StepCallback = Callable[[PlanStep], None]


class PlannerCancelled(Exception):
    """The planner call was cancelled (its `cancel` event was set) before it answered."""


class NotUnderstood(Exception):
    """A planner that answers only what it fully understands did not understand this turn;
    the message says why. Another planner may take the turn."""


class Planner(Protocol):
    name: str

    def plan(self, inp: PlannerInput, on_step: StepCallback | None = None,
             cancel: threading.Event | None = None) -> PlannerTurn: ...
