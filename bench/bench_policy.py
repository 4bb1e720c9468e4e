"""Learned policies on the robot: chunk timing in the real-time executor, and success rates.

    python -m bench.bench_policy [--quick] [--policy NAME] [--seeds N] [--seconds S] [--only PART]

1. Chunk timing: the policy skill in the real-time executor on the simulated arm (cameras
   rendered every tick), locally and through a policy server on loopback: policy call latency,
   the largest joint jump at a chunk seam with and without blending, idle ticks (held while an
   answer was late), and the control loop's tick error.
2. Success: the learned policy and the scripted `place` skill on the same held-out seeded scenes.
3. LeRobot (`--only lerobot`, where LeRobot is installed: `make bench` runs it in .venv-lerobot):
   an ACT policy at LeRobot's default size (ResNet-18 backbone, 512-wide transformer; random
   weights, made and saved by LeRobot) loaded through LeRobot's factory and processors, beside
   hirobot's own `learned-place`: latency per chunk (p50/p95) on simulator observations, on
   --device (default: CUDA when present), and the largest joint jump at chunk seams in the
   real-time executor with and without blending.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from skills.policies.base import Policy


class DisagreeingPolicy(Policy):
    """A stand-in for a model whose successive chunks disagree: each chunk holds the pose the arm
    had at the first call, with joint 0 offset by +/- `offset` rad in turn, after `latency_s` of
    thinking (so successive chunks differ by 2 * offset). It isolates what blending does at the
    seams from what a particular model does."""

    def __init__(self, offset: float = 0.05, latency_s: float = 0.03, horizon: int = 16) -> None:
        from skills.policies.base import PolicyMetadata

        self.meta = PolicyMetadata(name="disagreeing", action_horizon=horizon, action_dim=7, cameras=[])
        self.offset, self.latency_s, self.calls = offset, latency_s, 0
        self.pose: np.ndarray | None = None

    @property
    def metadata(self):
        return self.meta

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


def make_act_checkpoint(folder, image_shape: tuple[int, int, int], dim: int = 7, chunk: int = 20) -> None:
    """An ACT policy at LeRobot's default size with random weights, saved by LeRobot as a
    training run leaves it (config, weights, processors with normalization statistics)."""
    import torch
    from lerobot.configs.types import FeatureType, PolicyFeature
    from lerobot.policies.act.configuration_act import ACTConfig
    from lerobot.policies.act.modeling_act import ACTPolicy
    from lerobot.policies.factory import make_pre_post_processors

    h, w, _ = image_shape
    inputs = {"observation.state": PolicyFeature(type=FeatureType.STATE, shape=(dim,))}
    for cam in ("front", "wrist"):
        inputs[f"observation.images.{cam}"] = PolicyFeature(type=FeatureType.VISUAL, shape=(3, h, w))
    cfg = ACTConfig(input_features=inputs, output_features={"action": PolicyFeature(type=FeatureType.ACTION, shape=(dim,))},
                    chunk_size=chunk, n_action_steps=chunk, pretrained_backbone_weights=None, device="cpu")
    torch.manual_seed(0)
    vec = {"mean": torch.zeros(dim), "std": torch.full((dim,), 0.05), "min": -torch.ones(dim), "max": torch.ones(dim)}
    img = {"mean": torch.full((3, 1, 1), 0.5), "std": torch.full((3, 1, 1), 0.25), "min": torch.zeros((3, 1, 1)),
           "max": torch.ones((3, 1, 1))}
    stats = {"observation.state": vec, "action": vec, "observation.images.front": img, "observation.images.wrist": img}
    pre, post = make_pre_post_processors(cfg, dataset_stats=stats)
    for thing in (ACTPolicy(cfg), pre, post):
        thing.save_pretrained(str(folder))


class Anchored(Policy):
    """A policy's chunks as offsets from the arm's state when asked: random-weight ACT answers
    noise around the dataset mean, so its rows are re-based on the observed pose; what the
    benchmark measures (latency, seams) is unchanged."""

    def __init__(self, inner: Policy, scale: float = 1.0) -> None:
        self.inner, self.scale = inner, scale

    @property
    def metadata(self):
        return self.inner.metadata

    def reset(self) -> None:
        self.inner.reset()

    def infer(self, obs: dict) -> dict:
        out = dict(self.inner.infer(obs))
        a = np.asarray(out["actions"], float)
        out["actions"] = np.asarray(obs["state"], float)[None] + self.scale * (a - a[:1])
        return out


def chunk_latency(policy, n: int = 20, seed: int = 0) -> tuple[float, float]:
    """p50, p95 of one chunk's wall time (ms) on rendered simulator observations."""
    from sim.robot import SimRobot
    from skills.policies.base import observation_dict
    from skills.policies.demos import task_for

    task = task_for(seed)
    robot = SimRobot(task.scene)
    obs = observation_dict(robot.observe(render=True), task.instruction, policy.metadata.cameras)
    robot.close()
    policy.infer(obs)  # the first call allocates
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        policy.infer(obs)
        times.append((time.perf_counter() - t0) * 1e3)
    return float(np.percentile(times, 50)), float(np.percentile(times, 95))


def bench_lerobot(seconds: float, device: str | None, n: int) -> None:
    import tempfile
    from pathlib import Path

    from sim.robot import SimRobot
    from skills.policies.demos import task_for
    from skills.policies.lerobot_policy import load_checkpoint

    import torch

    torch.set_num_threads(1)  # as learned-place runs beside the control loop; the same for both
    robot = SimRobot(task_for(0).scene)
    shape = robot.observe(render=True).images["front"].shape
    robot.close()
    with tempfile.TemporaryDirectory() as tmp:
        make_act_checkpoint(Path(tmp) / "act", shape)
        act = load_checkpoint(Path(tmp) / "act", device=device)
        meta = act.metadata
        print(f"ACT through LeRobot's factory and processors: {sum(p.numel() for p in act.policy.parameters()) / 1e6:.1f} M "
              f"parameters, 2 cameras {shape[1]}x{shape[0]}, chunks of {meta.action_horizon} x {meta.action_dim}, "
              f"device {meta.device}, {torch.get_num_threads()} CPU thread(s)")
        p50, p95 = chunk_latency(act, n)
        print(f"  latency per chunk    ACT (LeRobot path)   p50 {p50:7.1f} ms  p95 {p95:7.1f} ms")
        learned = _policy("learned-place")
        p50, p95 = chunk_latency(learned, n)
        print(f"  latency per chunk    learned-place        p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  "
              f"(chunks of {learned.metadata.action_horizon}, device {learned.metadata.device})")
        print(f"chunk seams in the real-time executor at 20 Hz, {seconds:.0f} s per run:")
        for blend in (4, 0):
            print(_row(f"ACT (LeRobot), blend {blend}", timing_run(Anchored(act), seconds, blend)))
        for blend in (4, 0):
            print(_row(f"learned-place, blend {blend}", timing_run(learned, seconds, blend)))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="bench_policy", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="short runs and few scenes")
    ap.add_argument("--policy", default="learned-place", help="policy name or checkpoint folder")
    ap.add_argument("--seeds", type=int, default=None, help="held-out scenes for the success rates")
    ap.add_argument("--seconds", type=float, default=None, help="length of each timing run")
    ap.add_argument("--only", choices=["timing", "success", "lerobot"], default=None, help="run one part")
    ap.add_argument("--device", default=None, help="auto (CUDA when present), cpu, cuda ... for the LeRobot part")
    a = ap.parse_args(argv or [])
    from skills.policies.base import PolicyError

    if a.only == "lerobot":
        from skills.policies.lerobot_checkpoint import lerobot_available

        if not lerobot_available():
            print("skipped: LeRobot is not installed here (make bench runs this part in .venv-lerobot)")
            return 0
        bench_lerobot(a.seconds or (4.0 if a.quick else 10.0), a.device, 10 if a.quick else 30)
        return 0

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
