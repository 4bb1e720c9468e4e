"""Everything that happens in a session is a typed event, published on one bus and appended
to the session's log. Sources (speech, perception, the executor, the planner) only know the
bus; the agent consumes it."""

from __future__ import annotations

import queue
import threading
import time
from typing import Annotated, Any, Callable, Literal, Union

from pydantic import BaseModel, Field, TypeAdapter


def _now() -> float:
    return time.time()


class _Event(BaseModel):
    t: float = Field(default_factory=_now, description="wall-clock time, seconds since the epoch")
    session: str = ""


class Utterance(_Event):
    type: Literal["utterance"] = "utterance"
    text: str
    final: bool = True
    start: float | None = None  # when speech began (audio clock, seconds)
    end: float | None = None  # when speech ended
    source: Literal["typed", "voice", "script"] = "typed"
    latency_s: float | None = None  # end of speech to this transcript
    confidence: float | None = None  # recognition: mean token probability of the transcript (voice only)
    clipped: float | None = None  # share of the turn's samples at full scale (microphone overdriven)


class PlannerAsked(_Event):
    """A planner call started in the background on what was said (several things said while
    one call was in flight are merged into one). `waited_s`: from the newest of them being
    heard to this call, on the session's clock."""

    type: Literal["planner_asked"] = "planner_asked"
    utterance: str
    merged: int = 1
    waited_s: float | None = None


class Reflex(_Event):
    """A fast-path command heard in speech, acted on before the planner sees it."""

    type: Literal["reflex"] = "reflex"
    command: Literal["stop", "pause", "resume"]
    word: str = ""
    heard_at: float | None = None


class Cue(_Event):
    type: Literal["cue"] = "cue"
    source: Literal["vision", "sound", "executor", "sim", "planner"]
    kind: str  # e.g. "object_slipped", "object_moved", "glass_breaking"
    severity: Literal["info", "warning", "critical"] = "info"
    detail: dict[str, Any] = Field(default_factory=dict)
    action: str = ""  # what the agent did about it


class PlanMade(_Event):
    type: Literal["plan"] = "plan"
    planner: str
    utterance: str
    say: str = ""
    question: str | None = None
    refused: bool = False
    steps: list[dict[str, Any]] = Field(default_factory=list)
    notes: list[dict[str, Any]] = Field(default_factory=list)
    control: str = "none"
    preempt: bool = False
    metrics: dict[str, Any] = Field(default_factory=dict)


class StepStarted(_Event):
    type: Literal["step_started"] = "step_started"
    index: int
    skill: str
    args: dict[str, Any] = Field(default_factory=dict)
    instruction: str = ""


class StepFinished(_Event):
    type: Literal["step_finished"] = "step_finished"
    index: int
    skill: str
    args: dict[str, Any] = Field(default_factory=dict)
    status: Literal["success", "failure", "cancelled"]
    reason: str = ""
    verified: bool | None = None  # did the expected effect hold afterwards
    ticks: int = 0
    overruns: int = 0
    duration_s: float = 0.0


class QuestionAsked(_Event):
    type: Literal["question"] = "question"
    text: str


class Spoken(_Event):
    """Something the robot said (printed, and spoken aloud when a voice is on)."""

    type: Literal["spoken"] = "spoken"
    text: str


class Note(_Event):
    type: Literal["note"] = "note"
    text: str
    scope: Literal["session", "user"] = "session"
    forgotten: bool = False  # true when the note was withdrawn


class JobEnded(_Event):
    type: Literal["job_ended"] = "job_ended"
    done: list[str] = Field(default_factory=list)
    not_done: list[str] = Field(default_factory=list)
    summary: str = ""


class ErrorEvent(_Event):
    type: Literal["error"] = "error"
    message: str
    where: str = ""


Event = Annotated[
    Union[Utterance, PlannerAsked, Reflex, Cue, PlanMade, StepStarted, StepFinished, QuestionAsked, Spoken, Note, JobEnded, ErrorEvent],
    Field(discriminator="type"),
]
EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


class Bus:
    """A small publish/subscribe hub. Subscribers are called in the publisher's thread, so they
    must be quick (append to a log, put on a bounded queue, set a flag)."""

    def __init__(self) -> None:
        self._subs: list[Callable[[Any], None]] = []
        self._lock = threading.Lock()

    def subscribe(self, fn: Callable[[Any], None]) -> Callable[[], None]:
        with self._lock:
            self._subs.append(fn)

        def unsubscribe() -> None:
            with self._lock:
                if fn in self._subs:
                    self._subs.remove(fn)

        return unsubscribe

    def publish(self, event: Any) -> None:
        with self._lock:
            subs = list(self._subs)
        for fn in subs:
            fn(event)

    def queue(self, maxsize: int = 256) -> "queue.Queue[Any]":
        """A bounded queue fed from the bus; when full the oldest event is dropped, never the bus."""
        q: queue.Queue[Any] = queue.Queue(maxsize=maxsize)

        def put(ev: Any) -> None:
            while True:
                try:
                    q.put_nowait(ev)
                    return
                except queue.Full:
                    try:
                        q.get_nowait()
                    except queue.Empty:
                        pass

        self.subscribe(put)
        return q
