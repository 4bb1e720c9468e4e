"""What the graph's nodes use but never checkpoint: the robot, the executor, the planner,
perception, the inbox of things said while the robot works, and the event sink."""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass, field
from typing import Any, Callable

from agent.config import Limits
from agent.planners.base import Planner
from perception.base import Perception
from skills.api import Robot
from skills.executor import Executor
from skills.registry import SkillRegistry


@dataclass
class Said:
    """Something the person said while the robot was busy (or a cue described in words)."""

    text: str
    source: str = "typed"
    # Set once the agent has acted on it; a simulated world can wait on it so that a
    # typed interjection lands at a definite moment of simulated time.
    handled: threading.Event = field(default_factory=threading.Event)


class Inbox:
    """Bounded, thread-safe. Speech and evaluation put; the dispatch node takes."""

    def __init__(self, maxsize: int = 64) -> None:
        self._q: queue.Queue[Said] = queue.Queue(maxsize=maxsize)

    def put(self, text: str, source: str = "typed") -> Said:
        item = Said(text=text, source=source)
        try:
            self._q.put_nowait(item)
        except queue.Full:
            # A flood of speech must not block the speaker; the oldest unheard line goes.
            try:
                self._q.get_nowait().handled.set()
            except queue.Empty:
                pass
            self._q.put_nowait(item)
        return item

    def get(self, timeout: float | None = None) -> Said | None:
        try:
            return self._q.get(timeout=timeout) if timeout else self._q.get_nowait()
        except queue.Empty:
            return None


@dataclass
class Runtime:
    robot: Robot
    executor: Executor
    planner: Planner
    registry: SkillRegistry
    perception: Perception
    publish: Callable[[Any], None]
    start_positions: dict[str, tuple[float, float, float]]
    inbox: Inbox = field(default_factory=Inbox)
    # Steps are one skill run each; hooks let a driver (evaluation, UI) react at boundaries.
    on_step_started: Callable[[int, Any], None] | None = None
    on_step_finished: Callable[[int, Any], None] | None = None
    snapshot: Callable[[int], None] | None = None  # save the world (keyed by steps done) for a resume
    skill_extras: dict[str, Any] = field(default_factory=dict)
    watcher: Any | None = None  # perception.changes.ChangeWatcher: things moved by someone else
    early: Any | None = None  # agent.dispatch.EarlyStep: a first step started mid-stream
    camera_frames: Callable[[], dict[str, str]] | None = None  # camera -> JPEG data URL, for planners that see
    paused: threading.Event = field(default_factory=threading.Event)
    closing: threading.Event = field(default_factory=threading.Event)  # the session is ending
    idle: threading.Event = field(default_factory=threading.Event)
    max_retries: int = 1
    limits: Limits = field(default_factory=Limits)  # caps on what one planner turn may hold
