"""The real-time executor: runs one skill's loop in its own thread at a fixed rate.

Each tick has a deadline (start + k * period). The loop observes, asks the skill for the next
action, applies it, lets one period of the world pass and then waits for the next deadline.
Tick error (how late a tick started) and overruns (ticks that started after the *next*
deadline) are measured; a late loop skips the missed ticks instead of bursting to catch up.

Two clocks:
- `RealtimeClock`: sleeps until each deadline (a real robot, a live session, voice mode).
- `LockstepClock`: no sleeping; simulated time advances one period per tick, so a job runs as
  fast as physics allows (evaluation in text mode, tests, data generation).

Pause holds the arm where it is (the skill's generator is simply not advanced); cancel closes
the generator and holds. Both are cooperative and bounded: the loop checks them every tick,
and a tick never blocks on anything but the robot itself.
"""

from __future__ import annotations

import collections
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from pydantic import BaseModel

from skills.api import (Action, Observation, Outcome, Robot, SimulatorHooks, Skill, SkillContext, SkillFailure,
                        Status)


class RealtimeClock:
    """Wall-clock pacing: sleeps until each deadline (a real robot, a live session, voice mode)."""

    realtime = True

    def now(self) -> float:
        return time.perf_counter()

    def sleep_until(self, t: float) -> None:
        # Sleep most of the way, then spin briefly: time.sleep alone oversleeps by ~0.1-1 ms.
        while True:
            remaining = t - time.perf_counter()
            if remaining <= 0:
                return
            if remaining > 0.002:
                time.sleep(remaining - 0.0015)

    def wait_until(self, t: float, cancel: threading.Event | None = None) -> bool:
        """Block another thread (a planner) until clock time `t`; False if cancelled first."""
        while True:
            remaining = t - time.perf_counter()
            if remaining <= 0:
                return True
            if cancel is None:
                time.sleep(min(remaining, 0.05))
            elif cancel.wait(min(remaining, 0.05)):
                return False

    def idle(self, busy: int = 0, wake_at: float | None = None) -> None:
        """Nothing moves the world: wall-clock time passes by itself."""


class LockstepClock:
    """Simulated time: every tick is exactly on time because the world waits for the loop.

    Time moves when the control loop sleeps to its next deadline, or when nothing runs and the
    session lets idle time pass (`idle`): then it jumps to the earliest moment another thread
    waits for (`wait_until`), the way a discrete-event simulation does. A planner that takes
    10 s of simulated time therefore costs a test milliseconds, and what happens during those
    10 s (a step running, a word said) happens at definite simulated moments."""

    realtime = False

    def __init__(self) -> None:
        self._t = 0.0
        self._moved = threading.Condition()
        self._waiting: list[float] = []

    def now(self) -> float:
        return self._t

    def sleep_until(self, t: float) -> None:
        if t > self._t:
            with self._moved:
                self._t = t
                self._moved.notify_all()

    def wait_until(self, t: float, cancel: threading.Event | None = None) -> bool:
        """Block another thread (a planner) until simulated time `t`; False if cancelled first."""
        with self._moved:
            self._waiting.append(t)
            try:
                while self._t < t:
                    if cancel is not None and cancel.is_set():
                        return False
                    self._moved.wait(0.02)
            finally:
                self._waiting.remove(t)
        return True

    def idle(self, busy: int = 0, wake_at: float | None = None) -> None:
        """Nothing moves the world: jump to the earliest moment someone waits for (or the
        caller's own `wake_at`), but only when each of the `busy` workers (planner calls in
        flight) is itself waiting on the clock; one still computing keeps time where it is."""
        with self._moved:
            workers = len(self._waiting)
            due = [t for t in self._waiting if t > self._t]
        if wake_at is not None and wake_at > self._t:
            due.append(wake_at)
        if due and workers >= busy:
            self.sleep_until(min(due))


Clock = RealtimeClock | LockstepClock


class _ShortSwitchInterval:
    """Python threads share one interpreter lock, handed over every 5 ms by default; a control
    loop beside busy threads (planning, speech) would start ticks up to that late. While a
    real-time loop runs it asks for a 0.5 ms hand-over (a process-wide setting, so it is
    restored when the loop ends rather than changed for good when a clock is made)."""

    INTERVAL_S = 0.0005

    def __enter__(self) -> None:
        self._before = sys.getswitchinterval()
        if self._before > self.INTERVAL_S:
            sys.setswitchinterval(self.INTERVAL_S)

    def __exit__(self, *exc: Any) -> None:
        sys.setswitchinterval(self._before)


@dataclass
class TickStats:
    """Tick timing of one run. Errors are kept in a bounded window (the last 10 000 ticks)."""

    ticks: int = 0
    overruns: int = 0
    skipped: int = 0
    errors_s: collections.deque = field(default_factory=lambda: collections.deque(maxlen=10_000))
    compute_s: collections.deque = field(default_factory=lambda: collections.deque(maxlen=10_000))

    def percentile_ms(self, q: float, which: str = "errors") -> float:
        data = self.errors_s if which == "errors" else self.compute_s
        return float(np.percentile(np.asarray(data), q) * 1e3) if data else 0.0


def _raise_priority(priority: int = 10) -> bool:
    """Ask the OS to run this control thread before speech, planning and rendering threads
    (SCHED_FIFO). Allowed for root or with CAP_SYS_NICE / an rtprio limit; otherwise the
    loop runs at normal priority and says so in its handle."""
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(priority))
        return True
    except (AttributeError, OSError, PermissionError):
        return False


class StepHandle:
    """A running skill. `wait()` returns its Outcome; pause/resume/cancel steer it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.realtime_priority = False  # whether the OS runs this loop at real-time priority
        self.outcome: Outcome | None = None
        self.stats = TickStats()
        self.started_at: float | None = None  # clock time of the first tick
        self.motion_started_at: float | None = None  # first tick whose action moved the arm
        self.rest_at: float | None = None  # clock time the arm came to rest after a stop
        self._done = threading.Event()
        self._cancel = threading.Event()
        self._cancel_reason = "cancelled"
        self._paused = threading.Event()
        self._steer = threading.Condition()
        self._thread: threading.Thread | None = None
        self.on_done: Callable[["StepHandle"], None] | None = None

    # -- steering (the executor's; any thread) ---------------------------------------------------------------
    def pause(self) -> None:
        with self._steer:
            self._paused.set()
            self._steer.notify_all()

    def resume(self) -> None:
        with self._steer:
            self._paused.clear()
            self._steer.notify_all()

    def cancel(self, reason: str = "cancelled") -> None:
        with self._steer:
            if not self._cancel.is_set():
                self._cancel_reason = reason
                self._cancel.set()
            self._steer.notify_all()

    def _block_while_paused(self) -> None:
        """Simulated time need not pass while nothing moves: wait for resume or cancel."""
        with self._steer:
            while self._paused.is_set() and not self._cancel.is_set():
                self._steer.wait(0.5)

    @property
    def paused(self) -> bool:
        return self._paused.is_set()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> Outcome | None:
        self._done.wait(timeout)
        return self.outcome


TickHook = Callable[[StepHandle, Observation], None]


class Executor:
    """Runs skills on one robot, one at a time, and owns whether the robot may move.

    Pause, resume and cancel are asked of the executor, never of a step's handle directly:
    a pause outlives the step it caught (a step started while paused starts held), and a
    stop ends the pause. Any thread may ask (the speech thread's reflex, the typed path, the
    session); each request takes effect at the running loop's next tick."""

    def __init__(self, robot: Robot, clock: Clock | None = None,
                 render: bool = False, on_tick: TickHook | None = None,
                 rest_tolerance_rad: float = 2e-3, settle_ticks: int = 40) -> None:
        self.robot = robot
        self.clock = clock or RealtimeClock()
        self.render = render
        self.on_tick = on_tick
        self.rest_tolerance_rad = rest_tolerance_rad
        self.settle_ticks = settle_ticks
        self._current: StepHandle | None = None
        self._lock = threading.Lock()
        self._paused = False

    @property
    def current(self) -> StepHandle | None:
        return self._current

    @property
    def paused(self) -> bool:
        """The person asked the robot to wait and has not said to go on."""
        return self._paused

    @property
    def moving(self) -> bool:
        """A step runs and is not held."""
        h = self._current
        return h is not None and not h.done and not h.paused

    def pause(self) -> None:
        with self._lock:
            self._paused = True
            h = self._current
        if h is not None:
            h.pause()

    def resume(self) -> None:
        with self._lock:
            self._paused = False
            h = self._current
        if h is not None:
            h.resume()

    def cancel(self, reason: str = "cancelled") -> StepHandle | None:
        """Stop the running step (the arm comes to rest); a stop also ends a pause.
        Returns the handle it stopped, if a step was running."""
        with self._lock:
            self._paused = False
            h = self._current
        if h is None or h.done:
            return None
        h.cancel(reason)
        return h

    def start(self, skill: Skill, args: BaseModel, instruction: str = "",
              extras: dict[str, Any] | None = None, rate_hz: float | None = None,
              on_done: Callable[[StepHandle], None] | None = None) -> StepHandle:
        """Start a skill's loop in its own thread; `on_done(handle)` is called from that thread
        once it has ended and the arm is at rest."""
        with self._lock:
            if self._current is not None and not self._current.done:
                raise RuntimeError(f"skill {self._current.name!r} is still running; cancel it first")
            handle = StepHandle(skill.name)
            handle.on_done = on_done
            if self._paused:
                handle.pause()
            self._current = handle
        rate = float(rate_hz or type(skill).rate_hz)
        t = threading.Thread(target=self._loop, args=(handle, skill, args, instruction, extras or {}, rate),
                             name=f"skill-{skill.name}", daemon=True)
        handle._thread = t
        t.start()
        return handle

    def run(self, skill: Skill, args: BaseModel, instruction: str = "", extras: dict[str, Any] | None = None,
            rate_hz: float | None = None) -> tuple[Outcome, StepHandle]:
        """Start and wait: the blocking form."""
        h = self.start(skill, args, instruction, extras, rate_hz)
        out = h.wait()
        assert out is not None
        return out, h

    # -- the control thread ------------------------------------------------------------------
    def _loop(self, h: StepHandle, skill: Skill, args: BaseModel, instruction: str,
              extras: dict[str, Any], rate: float) -> None:
        if self.clock.realtime:
            with _ShortSwitchInterval():
                self._run_loop(h, skill, args, instruction, extras, rate)
        else:
            self._run_loop(h, skill, args, instruction, extras, rate)
        if h.on_done is not None:
            try:
                h.on_done(h)
            except Exception:
                pass  # a listener's failure must not take the control thread's result with it

    def _run_loop(self, h: StepHandle, skill: Skill, args: BaseModel, instruction: str,
                  extras: dict[str, Any], rate: float) -> None:
        if self.clock.realtime:
            h.realtime_priority = _raise_priority()
        period = 1.0 / rate
        limit = float(type(skill).time_limit_s)
        outcome: Outcome
        gen = None
        try:
            obs = self.robot.observe(render=self.render)
            ctx = SkillContext(robot=self.robot, first_observation=obs, instruction=instruction,
                               rate_hz=rate, extras=extras)
            gen = skill.run(args, ctx)
            action = next(gen)
            start = self.clock.now()
            h.started_at = start
            k = 0
            held: Action | None = None
            last_joints = np.asarray(obs.joints, dtype=float)
            paused_total = 0.0  # time spent paused does not count against the time limit
            while True:
                if h.paused and h.rest_at is not None and not self.clock.realtime:
                    t_block = self.clock.now()
                    h._block_while_paused()
                    # Re-anchor the schedule: the world was frozen, not late.
                    start += self.clock.now() - t_block
                deadline = start + k * period
                self.clock.sleep_until(deadline)
                tick_start = self.clock.now()
                err = tick_start - deadline
                h.stats.errors_s.append(err)
                h.stats.ticks += 1
                if err > period:
                    h.stats.overruns += 1
                    missed = int(err // period)
                    h.stats.skipped += missed
                    k += missed
                if h._cancel.is_set():
                    outcome = Outcome.cancelled(h._cancel_reason)
                    break
                if h.paused:
                    paused_total += period
                if tick_start - start - paused_total > limit:
                    outcome = Outcome.failure(f"{skill.name} did not finish within {limit:.0f} s")
                    break
                if h.paused:
                    if held is None:
                        held = self.robot.hold_action()
                    self.robot.act(held)
                else:
                    held = None
                    self.robot.act(action)
                    if h.motion_started_at is None:
                        h.motion_started_at = tick_start
                self.robot.advance(period)
                obs = self.robot.observe(render=self.render)
                h.stats.compute_s.append(self.clock.now() - tick_start)
                joints = np.asarray(obs.joints, dtype=float)
                if h.paused:
                    if h.rest_at is None and np.max(np.abs(joints - last_joints)) < self.rest_tolerance_rad:
                        h.rest_at = self.clock.now()
                else:
                    h.rest_at = None
                last_joints = joints
                if self.on_tick is not None:
                    self.on_tick(h, obs)
                if not h.paused and not h._cancel.is_set():
                    action = gen.send(obs)
                k += 1
        except StopIteration as stop:
            outcome = stop.value if isinstance(stop.value, Outcome) else Outcome.failure(
                f"{skill.name} ended without saying whether it succeeded")
        except SkillFailure as e:
            outcome = Outcome.failure(str(e))
        except Exception as e:  # a skill's bug ends its step, never the agent
            outcome = Outcome.failure(f"{skill.name} raised {type(e).__name__}: {e}")
        finally:
            if gen is not None:
                try:
                    gen.close()
                except Exception:
                    pass
        if outcome.status != Status.success:
            self._bring_to_rest(h, period)
        if isinstance(self.robot, SimulatorHooks):
            self.robot.release_thread()  # per-thread resources (render contexts) die with this thread
        h.outcome = outcome
        h._done.set()

    def _bring_to_rest(self, h: StepHandle, period: float) -> None:
        """Hold the current pose and let the arm settle, for a bounded number of ticks."""
        try:
            hold = self.robot.hold_action()
            self.robot.act(hold)
            prev = np.asarray(self.robot.observe().joints, dtype=float)
            t = self.clock.now()
            for _ in range(self.settle_ticks):
                self.robot.advance(period)
                t += period
                self.clock.sleep_until(t)
                cur = np.asarray(self.robot.observe().joints, dtype=float)
                if np.max(np.abs(cur - prev)) < self.rest_tolerance_rad:
                    break
                prev = cur
            h.rest_at = self.clock.now()
        except Exception:
            h.rest_at = None
