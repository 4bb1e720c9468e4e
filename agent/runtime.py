"""What the graph's nodes use but never checkpoint: the robot, the executor, the planner,
perception, the session's timeline (the queue of what happens while a job runs), and the
event sink.

Who owns what: the executor owns whether the arm may move (pause, resume, cancel); the job's
thread owns the plan and the planner task in flight (`thinking`); the timeline queue is the
only way other threads reach the job."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Callable

from agent.config import Limits
from agent.planners.base import Planner
from agent.timeline import PlannerTask, Timeline
from perception.base import Perception
from skills.api import Robot
from skills.executor import Executor
from skills.registry import SkillRegistry


@dataclass
class Runtime:
    robot: Robot
    executor: Executor
    planner: Planner
    registry: SkillRegistry
    perception: Perception
    publish: Callable[[Any], None]
    start_positions: dict[str, tuple[float, float, float]]
    timeline: Timeline = field(default_factory=Timeline)
    thinking: PlannerTask | None = None  # the planner call in flight; the job's thread owns it
    # The next answer to a question was said before the question could be heard: it is the
    # rest of the request, not an answer (set by agent.voice, read once by the ask node).
    answer_continues: bool = False
    # Spoken sessions: block until the person has been quiet for the given seconds, or until
    # the callable says what was waited for arrived (agent.voice installs it).
    wait_for_quiet: Callable[[float, Callable[[], bool]], None] | None = None
    # Steps are one skill run each; hooks let a driver (evaluation, UI) react at boundaries.
    on_step_started: Callable[[int, Any], None] | None = None
    on_step_finished: Callable[[int, Any], None] | None = None
    snapshot: Callable[[int], None] | None = None  # save the world (keyed by steps done) for a resume
    skill_extras: dict[str, Any] = field(default_factory=dict)
    watcher: Any | None = None  # perception.changes.ChangeWatcher: things moved by someone else
    early: Any | None = None  # agent.dispatch.EarlyStep: a first step started mid-stream
    camera_frames: Callable[[], dict[str, str]] | None = None  # camera -> JPEG data URL, for planners that see
    closing: threading.Event = field(default_factory=threading.Event)  # the session is ending
    idle: threading.Event = field(default_factory=threading.Event)  # paused between steps, waiting
    max_retries: int = 1
    control_hz: float | None = None  # every skill's control rate, when configured
    limits: Limits = field(default_factory=Limits)  # caps on what one planner turn may hold
