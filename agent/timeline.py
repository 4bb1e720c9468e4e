"""The session's timeline: one queue of what happens, control first, the planner in the background.

Everything that reaches the agent while a job runs arrives here as an item: something heard
(typed, spoken, or a cue in words), a planner's answer, a step that ended, a planner that has
been thinking a while. One thread takes them off (the job's thread, in the dispatch node), so
the job's state has one writer. The ordering follows Pipecat's frame tiers: control words
are like its system frames, they skip the line that data waits in, so a "stop" is never
queued behind a planner's answer that would start the next step.

Control does not even wait for the queue: whoever hears a control word (the speech thread,
the typed path) acts on the executor at once (`Session.reflex`); the item that follows tells
the job what became of its plan.

A planner call is a `PlannerTask`: a thread that asks the planner and posts its answer as an
item. The task can be cancelled (the person said more, or stop), and the planner sees the
`cancel` event so a model can stop generating.
"""

from __future__ import annotations

import itertools
import queue
import threading
from dataclasses import dataclass, field
from typing import Any, Callable

from agent.control import Control
from agent.schema import PlannerInput, PlannerTurn, PlanStep

# How long a planner may think before the person hears that it is thinking.
THINKING_ACK_S = 0.7
THINKING_ACK = "Let me think."
# A spoken request goes on after a pause at most this long ("Clean up." ... "Trash goes in the
# bin, ..."): a title said with a full stop's fall sounds finished to the end-of-turn model.
# The rest, begun this soon after, before the robot's reply could be heard, is joined to the
# request (agent.voice marks it `continues`); between separate requests people leave more,
# waiting to hear the robot take the first.
CONTINUE_PAUSE_S = 0.8


@dataclass
class Heard:
    """Something the person said (or a cue described in words), as the job will take it up."""

    text: str
    source: str = "typed"  # typed, voice or cue
    control: Control | None = None  # the whole utterance is this control word: no planner needed
    at: float | None = None  # clock time it was said
    # Said with no pause after the request this job began with, before the robot's reply
    # could be heard: the rest of that request ("Clean up." ... "Trash goes in the bin."),
    # not a new turn. Only speech knows the pause (agent.voice).
    continues: bool = False
    # Set once the job has acted on it: a simulated world can wait on it so that a typed
    # interjection lands at a definite moment of simulated time.
    handled: threading.Event = field(default_factory=threading.Event)


@dataclass
class Answered:
    task: "PlannerTask"
    turn: PlannerTurn


@dataclass
class StepEnded:
    handle: Any  # skills.executor.StepHandle


Item = Heard | Answered | StepEnded


class Timeline:
    """The one queue. Unbounded, so a speaker never blocks; control items go first."""

    URGENT, NORMAL = 0, 1

    def __init__(self) -> None:
        self._q: queue.PriorityQueue[tuple[int, int, Item]] = queue.PriorityQueue()
        self._seq = itertools.count()

    def put(self, item: Item) -> Item:
        urgent = isinstance(item, Heard) and item.control is not None
        self._q.put((self.URGENT if urgent else self.NORMAL, next(self._seq), item))
        return item

    def take(self, wanted: Callable[[Item], bool]) -> Item | None:
        """Remove and return the first item (in queue order) that is `wanted`, if any."""
        with self._q.mutex:
            entries = sorted(self._q.queue)
            for i, entry in enumerate(entries):
                if wanted(entry[2]):
                    del entries[i]
                    self._q.queue[:] = entries  # a sorted list is a heap
                    return entry[2]
        return None

    def get(self, timeout: float | None = None) -> Item | None:
        try:
            return self._q.get(timeout=timeout)[2] if timeout else self._q.get_nowait()[2]
        except queue.Empty:
            return None


class PlannerTask:
    """One planner call in its own thread; its answer is posted to the timeline.

    `ask(inp, cancel, on_step)` is the checked planner call (`agent.turns.ask_planner`); it
    returns None when cancelled. A cancelled task posts nothing: whoever cancelled it has
    already decided what comes instead."""

    def __init__(self, ask: Callable[..., PlannerTurn | None], inp: PlannerInput, heard: list[Heard],
                 timeline: Timeline, clock: Any, running: PlanStep | None = None,
                 on_step: Callable[[PlanStep], None] | None = None) -> None:
        self.inp = inp
        self.heard = heard
        self.running = running
        self.cancel = threading.Event()
        self.ended = threading.Event()  # answered or cancelled
        self.acknowledged = False  # the person heard that it is thinking
        self.turn: PlannerTurn | None = None  # the answer, once taken up
        self.started_at = clock.now()
        self._timeline = timeline
        self._clock = clock
        self._ask = ask
        self.on_step = on_step
        # Asked for the whole request again, the job's first words joined with their rest: its
        # plan replaces the one begun on the first words (see agent.dispatch).
        self.restarts = False
        self._thread = threading.Thread(target=self._run, name="planner", daemon=True)

    @property
    def ack_due(self) -> float | None:
        """When the person should hear that the planner is thinking (None once they have)."""
        return None if self.acknowledged else self.started_at + THINKING_ACK_S

    @property
    def texts(self) -> list[str]:
        return [h.text for h in self.heard]

    def start(self) -> "PlannerTask":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.cancel.set()
        self.ended.set()

    def _step(self, step: PlanStep) -> None:
        if self.on_step is not None and not self.cancel.is_set():
            self.on_step(step)

    def _run(self) -> None:
        try:
            turn = self._ask(self.inp, cancel=self.cancel, on_step=self._step if self.on_step else None)
        finally:
            self.ended.set()
        if turn is not None and not self.cancel.is_set():
            self._timeline.put(Answered(self, turn))


def whole_request(first: str | None, rest: str | None) -> str:
    """A request said in two breaths, as one: its first words, then the rest."""
    return " ".join(part.strip() for part in (first, rest) if part and part.strip())


def rest_of_request(rt: Any) -> Heard | None:
    """Before a question about a spoken request is asked: wait until the person has been quiet
    for CONTINUE_PAUSE_S (or until the rest of the request has been heard), then take the rest
    off the timeline. None for typed sessions (no `rt.wait_for_quiet`) and when nothing followed."""
    if rt.wait_for_quiet is None:
        return None

    def rest(item: Item) -> bool:
        return isinstance(item, Heard) and item.continues and item.control is None

    found: list[Item] = []

    def heard_rest() -> bool:
        if not found:
            item = rt.timeline.take(rest)
            if item is not None:
                found.append(item)
        return bool(found)

    rt.wait_for_quiet(CONTINUE_PAUSE_S, heard_rest)
    heard_rest()
    return found[0] if found else None  # type: ignore[return-value]
