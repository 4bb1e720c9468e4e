"""The chunk streamer: prefetch before a chunk runs out, blended seams, holding on a late answer."""

import time

import numpy as np
import pytest

from skills.executor import Executor, LockstepClock, RealtimeClock
from skills.policies.args import PolicyArgs
from skills.policies.base import PolicyError
from skills.policies.chunking import ChunkStreamer
from skills.policies.skill import PolicySkill
from tests.kinematic_arm import KinematicArm
from tests.policy_doubles import RampPolicy


def play(policy, ticks, **kw):
    """Run the streamer against a state that follows its targets exactly; returns the targets."""
    s = ChunkStreamer(policy, **kw)
    state = np.zeros(7)
    s.start(lambda: {"state": state.copy(), "prompt": "p", "images": {}}, state)
    rows = []
    for _ in range(ticks):
        row = s.tick(lambda: {"state": state.copy(), "prompt": "p", "images": {}})
        state = row.copy()
        rows.append(row)
        if policy.latency_s:
            time.sleep(0.002)  # a tick of a fast control loop
    s.close()
    return np.array(rows), s.stats


def test_fast_policy_never_idles_and_asks_before_the_chunk_runs_out():
    rows, st = play(RampPolicy(horizon=10, speed=0.01), 60, blocking=True, blend_ticks=3)
    assert st.idle_ticks == 0 and st.late_ticks == 0 and st.startup_ticks == 0
    assert st.calls >= 60 // 7  # a chunk of 10 plays 7 rows before its seam, less the rows already past
    steps = np.diff(rows[:, 0])
    # After the start (blended in from rest), a consistent policy's chunks join without a trace.
    np.testing.assert_allclose(steps[5:], 0.01, atol=1e-9)


def test_blending_shrinks_the_jump_at_each_seam():
    _, hard = play(RampPolicy(horizon=10, speed=0.01, offset=0.05), 80, blocking=True, blend_ticks=0)
    _, soft = play(RampPolicy(horizon=10, speed=0.01, offset=0.05), 80, blocking=True, blend_ticks=4)
    assert max(hard.seam_jumps) > 0.045  # each chunk is 0.05 rad off: without blending the arm jumps that much
    assert max(soft.seam_jumps) < 0.5 * max(hard.seam_jumps)
    assert soft.max_step < 0.75 * hard.max_step


def test_a_slow_policy_is_met_by_holding_not_jumping():
    policy = RampPolicy(horizon=6, speed=0.01, latency_s=0.06)
    rows, st = play(policy, 60, blocking=False, blend_ticks=2)
    assert st.idle_ticks + st.late_ticks > 0  # it was late...
    assert st.max_step < 0.06  # ...and the targets never jumped (ramp 0.01/tick, stale rows skipped)
    assert np.all(np.diff(rows[:, 0]) >= -1e-9)  # and never went backwards
    assert max(st.latency_ticks) >= 2
    assert st.summary()["latency_ms_p50"] >= 50


def test_policy_errors_surface_from_the_streamer():
    with pytest.raises(PolicyError, match="divided by zero"):
        play(RampPolicy(fail_on_call=2), 40, blocking=True)


def test_policy_skill_runs_in_the_executor_with_its_instruction():
    policy = RampPolicy(horizon=8, speed=0.01)
    arm = KinematicArm(max_speed=2.0)
    ex = Executor(arm, clock=LockstepClock())
    outcome, handle = ex.run(PolicySkill(), PolicyArgs(policy="ramp", max_seconds=1.0), instruction="sweep right",
                             extras={"policies": {"ramp": policy}, "policy_blocking": True})
    # no success condition: it ran to its time limit and says nothing was checked
    assert outcome.status.value == "success" and outcome.detail["checked"] is False
    assert "ran 'ramp' for 1 s; no success condition to check" in outcome.reason
    assert policy.prompts and set(policy.prompts) == {"sweep right"}
    assert arm.q[0] > 0.1  # the arm followed the ramp
    assert outcome.detail["idle_ticks"] == 0


def test_policy_skill_ends_on_the_success_check():
    arm = KinematicArm(max_speed=2.0)
    ex = Executor(arm, clock=LockstepClock())
    args = PolicyArgs(policy="ramp", success="far", max_seconds=5.0)
    outcome, _ = ex.run(PolicySkill(), args, instruction="go", extras={
        "policies": {"ramp": RampPolicy(speed=0.02)}, "policy_blocking": True,
        "success_check": lambda expr, obs: expr == "far" and obs.joints[0] > 0.3})
    assert outcome.ok, outcome.reason


def test_cancel_with_an_answer_in_flight_comes_to_rest_quickly():
    arm = KinematicArm(max_speed=2.0)
    ex = Executor(arm, clock=RealtimeClock())
    h = ex.start(PolicySkill(), PolicyArgs(policy="slow", max_seconds=10), instruction="go",
                 extras={"policies": {"slow": RampPolicy(latency_s=0.5)}})
    time.sleep(0.2)
    t0 = time.perf_counter()
    h.cancel("stop")
    out = h.wait(3.0)
    assert out is not None and out.status.value == "cancelled"
    assert time.perf_counter() - t0 < 1.5
