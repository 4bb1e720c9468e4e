"""What a planner backend is: a function from the planner input to a planner turn."""

from __future__ import annotations

import threading
from typing import Callable, Protocol

from agent.schema import PlannerInput, PlannerTurn, PlanStep

# Called with each step as soon as it is complete and validated, before the rest of the
# turn is known, so the first step can start while a streaming model is still writing.
StepCallback = Callable[[PlanStep], None]


class PlannerCancelled(Exception):
    """Raised by a planner that saw its `cancel` event set and stopped early."""


class Planner(Protocol):
    """`plan` runs in a worker thread. `cancel` is set when the answer is no longer wanted (the
    person said more, or stop); a backend that can stop early (between streamed chunks)
    raises `PlannerCancelled`, one that cannot simply finishes and its answer is dropped."""

    name: str

    def plan(self, inp: PlannerInput, on_step: StepCallback | None = None,
             cancel: threading.Event | None = None) -> PlannerTurn: ...
