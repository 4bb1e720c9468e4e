import threading
import time

import numpy as np
import pytest
from pydantic import BaseModel

from skills.api import Action, Outcome, Skill, SkillFailure, Status
from skills.executor import Executor, LockstepClock, RealtimeClock
from tests.kinematic_arm import KinematicArm


class NoArgs(BaseModel):
    pass


class Sweep(Skill):
    """Moves joint 0 toward 1 rad; succeeds when it is there."""

    name = "sweep"
    description = "test skill"
    Args = NoArgs
    rate_hz = 50.0
    time_limit_s = 20.0

    def run(self, args, ctx):
        obs = ctx.first_observation
        target = np.zeros(6)
        target[0] = 1.0
        while abs(obs.joints[0] - 1.0) > 1e-3:
            obs = yield Action(joints=target, gripper=0.0)
        return Outcome.success("there")


class Raises(Sweep):
    name = "raises"

    def run(self, args, ctx):
        yield Action(joints=np.zeros(6), gripper=0.0)
        raise ZeroDivisionError("boom")


class Fails(Sweep):
    name = "fails"

    def run(self, args, ctx):
        yield Action(joints=np.zeros(6), gripper=0.0)
        raise SkillFailure("the cup slipped")


class Forever(Sweep):
    name = "forever"
    time_limit_s = 0.5

    def run(self, args, ctx):
        while True:
            yield Action(joints=np.zeros(6), gripper=0.0)


def test_lockstep_runs_to_success_on_time():
    arm = KinematicArm(max_speed=1.0)
    ex = Executor(arm, clock=LockstepClock())
    out, h = ex.run(Sweep(), NoArgs())
    assert out.status == Status.success
    assert abs(arm.q[0] - 1.0) < 1e-3
    # 1 rad at 1 rad/s is 50 ticks at 50 Hz, give or take the last one.
    assert 49 <= h.stats.ticks <= 52
    assert h.stats.overruns == 0
    assert h.stats.percentile_ms(99) == 0.0


def test_raising_skill_is_a_failed_step_with_its_reason():
    ex = Executor(KinematicArm(), clock=LockstepClock())
    out, _ = ex.run(Raises(), NoArgs())
    assert out.status == Status.failure
    assert "ZeroDivisionError" in out.reason and "boom" in out.reason


def test_skill_failure_keeps_reason():
    out, _ = Executor(KinematicArm(), clock=LockstepClock()).run(Fails(), NoArgs())
    assert out.status == Status.failure and out.reason == "the cup slipped"


def test_time_limit_ends_a_step():
    out, _ = Executor(KinematicArm(), clock=LockstepClock()).run(Forever(), NoArgs())
    assert out.status == Status.failure and "did not finish" in out.reason


def test_realtime_pause_holds_and_resume_finishes():
    arm = KinematicArm(max_speed=2.0)
    ex = Executor(arm, clock=RealtimeClock())
    h = ex.start(Sweep(), NoArgs())
    time.sleep(0.15)
    h.pause()
    time.sleep(0.1)
    q_paused = arm.q[0]
    time.sleep(0.2)
    assert arm.q[0] == pytest.approx(q_paused, abs=1e-9), "a paused arm must hold still"
    assert h.rest_at is not None
    assert 0.05 < q_paused < 0.95
    h.resume()
    out = h.wait(5.0)
    assert out is not None and out.status == Status.success


def test_realtime_cancel_brings_arm_to_rest_quickly():
    arm = KinematicArm(max_speed=2.0)
    ex = Executor(arm, clock=RealtimeClock())
    h = ex.start(Sweep(), NoArgs())
    time.sleep(0.1)
    t0 = time.perf_counter()
    h.cancel("stop heard")
    out = h.wait(2.0)
    assert out is not None and out.status == Status.cancelled and out.reason == "stop heard"
    assert time.perf_counter() - t0 < 0.5
    q = arm.q.copy()
    time.sleep(0.1)
    assert np.allclose(arm.q, q), "after a cancel the arm stays at rest"
    assert h.rest_at is not None


def test_realtime_tick_error_is_small_and_measured():
    ex = Executor(KinematicArm(max_speed=1.0), clock=RealtimeClock())
    out, h = ex.run(Sweep(), NoArgs())
    assert out.ok
    assert h.stats.ticks >= 49
    # A loose bound: this checks the loop keeps its schedule, not the machine's speed.
    assert h.stats.percentile_ms(50) < 5.0


def test_only_one_skill_at_a_time():
    ex = Executor(KinematicArm(), clock=RealtimeClock())
    h = ex.start(Sweep(), NoArgs())
    with pytest.raises(RuntimeError, match="still running"):
        ex.start(Sweep(), NoArgs())
    h.cancel()
    h.wait(2.0)


def test_on_tick_hook_sees_every_tick():
    seen = []
    ex = Executor(KinematicArm(), clock=LockstepClock(), on_tick=lambda h, obs: seen.append(obs.t))
    out, h = ex.run(Sweep(), NoArgs())
    assert len(seen) == h.stats.ticks
    assert all(b > a for a, b in zip(seen, seen[1:]))


def test_lockstep_pause_blocks_without_burning_the_time_limit():
    arm = KinematicArm(max_speed=1.0)
    paused_once = threading.Event()

    def hook(h, obs):
        if obs.t > 0.3 and not paused_once.is_set():
            paused_once.set()
            h.pause()

    ex = Executor(arm, clock=LockstepClock(), on_tick=hook)
    h = ex.start(Forever(), NoArgs())  # its time limit is 0.5 s
    assert paused_once.wait(2.0)
    time.sleep(0.3)
    assert not h.done, "a paused lockstep step must wait, not run out its time limit"
    h.resume()
    out = h.wait(2.0)
    assert out is not None and out.status == Status.failure and "did not finish" in out.reason
