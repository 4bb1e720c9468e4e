"""Learned policies on the robot: chunk timing in the real-time executor, and success rates.

    python -m bench.bench_policy [--quick] [--policy NAME] [--seeds N] [--seconds S]

1. Chunk timing: the policy skill in the real-time executor on the simulated arm (cameras
   rendered every tick), locally and through a policy server on loopback: policy call latency,
   the largest joint jump at a chunk seam with and without blending, idle ticks (held while an
   answer was late), and the control loop's tick error.
2. Success: the learned policy and the scripted `place` skill on the same held-out seeded scenes.
"""

from __future__ import annotations

import argparse
import time

import numpy as np


class DisagreeingPolicy:
    """A stand-in for a model whose successive chunks disagree: each chunk holds the pose the arm
    had at the first call, with joint 0 offset by +/- `offset` rad in turn, after `latency_s` of
    thinking (so successive chunks differ by 2 * offset). It isolates what blending does at the
    seams from what a particular model does."""

    def __init__(self, offset: float = 0.05, latency_s: float = 0.03, horizon: int = 16) -> None:
        from skills.policies.base import PolicyMetadata

        self.metadata = PolicyMetadata(name="disagreeing", action_horizon=horizon, action_dim=7, cameras=[])
        self.offset, self.latency_s, self.calls = offset, latency_s, 0
        self.pose: np.ndarray | None = None

    def reset(self) -> None:
        pass

    def infer(self, obs: dict) -> dict:
        self.calls += 1
        time.sleep(self.latency_s)
        if self.pose is None:
            self.pose = np.asarray(obs["state"], float).copy()
        chunk = np.tile(self.pose, (self.metadata.action_horizon, 1))
        chunk[:, 0] += self.offset if self.calls % 2 else -self.offset
        return {"actions": chunk}


def _policy(name: str):
    from skills.policies.registry import resolve_policy

    return resolve_policy(name)


def timing_run(policy, seconds: float, blend_ticks: int, seed: int = 0) -> dict:
    from sim.robot import SimRobot
    from skills.executor import Executor, RealtimeClock
    from skills.policies.args import PolicyArgs
    from skills.policies.demos import task_for
    from skills.policies.skill import PolicySkill

    task = task_for(seed)
    robot = SimRobot(task.scene)
    ex = Executor(robot, clock=RealtimeClock(), render=True)
    args = PolicyArgs(object=task.object, target=task.target, policy="bench", max_seconds=seconds)
    out, h = ex.run(PolicySkill(), args, instruction=task.instruction,
                    extras={"policies": {"bench": policy}, "policy_blend_ticks": blend_ticks})
    robot.close()
    d = dict(out.detail)
    d["tick_error_p95_ms"] = h.stats.percentile_ms(95)
    d["overruns"] = h.stats.overruns
    d["ticks"] = h.stats.ticks
    return d


def _row(label: str, d: dict) -> str:
    return (f"{label:<28} calls {d['calls']:>4}  latency p50 {d['latency_ms_p50']:6.1f} ms  p95 {d['latency_ms_p95']:6.1f} ms"
            f"  seam jump max {d['seam_jump_max_rad']:.4f} rad  idle {d['idle_ticks']:>3}  late {d['late_ticks']:>3}"
            f"  ticks {d['ticks']:>4}  tick err p95 {d['tick_error_p95_ms']:5.1f} ms  overruns {d['overruns']}")


def bench_timing(policy_name: str, seconds: float) -> None:
    from skills.policies.remote import RemotePolicy
    from skills.policies.serve import PolicyServer

    print(f"seams of a policy whose successive chunks disagree by 0.1 rad (30 ms per answer), {seconds:.0f} s per run:")
    for blend in (4, 0):
        print(_row(f"synthetic, blend {blend} ticks", timing_run(DisagreeingPolicy(), seconds, blend)))
    for latency in (0.25, 0.7):  # 5 and 14 ticks: the second is longer than a chunk's 12 played rows
        print(_row(f"synthetic {latency * 1e3:.0f} ms, blend 4", timing_run(DisagreeingPolicy(latency_s=latency),
                                                                       seconds, 4)))
    policy = _policy(policy_name)
    print(f"chunk timing: policy {policy.metadata.name!r}, chunks of {policy.metadata.action_horizon}, "
          f"{seconds:.0f} s per run at 20 Hz, real-time clock, cameras rendered every tick")
    for blend in (4, 0):
        print(_row(f"local, blend {blend} ticks", timing_run(policy, seconds, blend)))
    server = PolicyServer(policy, host="127.0.0.1", port=0)
    port = server.start_in_thread()
    remote = RemotePolicy(f"ws://127.0.0.1:{port}")
    try:
        for blend in (4, 0):
            print(_row(f"server loopback, blend {blend}", timing_run(remote, seconds, blend)))
    finally:
        remote.close()
        server.stop()


def bench_success(policy_name: str, seeds: int, max_seconds: float) -> dict:
    from skills.policies.evaluate import run_policy, run_scripted

    policy = _policy(policy_name)
    learned, scripted = [], []
    t0 = time.perf_counter()
    for s in range(seeds):
        r = run_policy(s, policy, max_seconds=max_seconds)
        c = run_scripted(s)
        learned.append(r.ok)
        scripted.append(c.ok)
        print(f"  seed {s:>3}: learned {'ok ' if r.ok else 'no '} ({r.seconds:4.1f} s sim)  "
              f"scripted {'ok ' if c.ok else 'no '} ({c.seconds:4.1f} s sim)  {'' if r.ok else r.reason}", flush=True)
    out = {"seeds": seeds, "learned": float(np.mean(learned)), "scripted": float(np.mean(scripted)),
           "wall_s": time.perf_counter() - t0}
    print(f"success on {seeds} held-out scenes: learned {out['learned']:.0%}  scripted {out['scripted']:.0%}  "
          f"({out['wall_s']:.0f} s)")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="bench_policy", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="short runs and few scenes")
    ap.add_argument("--policy", default="learned-place", help="policy name or checkpoint folder")
    ap.add_argument("--seeds", type=int, default=None, help="held-out scenes for the success rates")
    ap.add_argument("--seconds", type=float, default=None, help="length of each timing run")
    ap.add_argument("--only", choices=["timing", "success"], default=None, help="run one part")
    a = ap.parse_args(argv or [])
    from skills.policies.base import PolicyError

    try:
        _policy(a.policy)
    except PolicyError as e:
        print(f"skipped: {e}")
        return 0
    if a.only in (None, "timing"):
        bench_timing(a.policy, a.seconds or (4.0 if a.quick else 10.0))
    if a.only in (None, "success"):
        bench_success(a.policy, a.seeds or (4 if a.quick else 20), max_seconds=20.0)
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
