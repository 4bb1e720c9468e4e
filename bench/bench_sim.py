"""Simulator and scripted-skill benchmark.

    python -m bench.bench_sim [--trials N] [--seed S]

Prints: the scripted `place` success rate over N seeded trials (judged by the task predicate on
the final simulator state, not by the skill's own report), broken down by kind and relation;
how often the skill's report agreed with the predicate; physics steps per second; rendered
frames per second (both cameras, 224x224); the median wall time of one place step.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import defaultdict

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

from sim.kinds import KINDS  # noqa: E402
from sim.predicates import check  # noqa: E402
from sim.robot import SimRobot  # noqa: E402
from sim.scenario import COLORS, SceneSpec  # noqa: E402
from skills.builtin.args import PlaceArgs  # noqa: E402
from skills.builtin.place import PlaceSkill  # noqa: E402
from skills.drive import drive  # noqa: E402

GRASPABLE = [k for k, v in KINDS.items() if v.graspable]
SMALL = ["cup", "can", "block", "trash", "fork"]


def trial_spec(rng: np.random.Generator, i: int) -> tuple[SceneSpec, PlaceArgs]:
    """One seeded task: an object, a relation, a target and one or two bystanders."""
    relation = ["in", "on", "left_of", "right_of", "near"][i % 5]
    obj_kind = GRASPABLE[(i // 5) % len(GRASPABLE)]
    if relation == "in":
        targets = ["bin", "basket"] + (["bowl"] if obj_kind not in ("bowl", "fork") else [])
    elif relation == "on":
        targets = ["tray", "plate"] + (["block"] if obj_kind == "block" else [])
        if obj_kind == "bowl":
            targets = ["tray"]
    else:
        targets = ["plate", "cup", "block", "bowl", "can", "tray", "bin", "basket"]
        if relation == "near":
            # Small enough to be within 12 cm of; two bowls side by side cannot be.
            targets = ["cup", "block", "can", "trash", "fork"] + ([] if obj_kind == "bowl" else ["bowl"])
    tgt_kind = str(rng.choice(targets))
    objs = [{"name": "thing", "kind": obj_kind, "color": str(rng.choice(COLORS))},
            {"name": "target", "kind": tgt_kind}]
    if tgt_kind in ("bin", "basket", "tray"):
        objs[1]["at"] = str(rng.choice(["left", "right", "back-left", "back-right"]))
    for j in range(int(rng.integers(1, 3))):
        objs.append({"name": f"other{j}", "kind": str(rng.choice(SMALL))})
    spec = SceneSpec.model_validate({"objects": objs, "seed": int(rng.integers(0, 1_000_000))})
    return spec, PlaceArgs(object="thing", relation=relation, target="target")


def bench_place(trials: int, seed: int) -> list[float]:
    rng = np.random.default_rng(seed)
    per_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    per_rel: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    agree = 0
    walls: list[float] = []
    fails: list[str] = []
    for i in range(trials):
        spec, args = trial_spec(rng, i)
        try:
            robot = SimRobot(spec, cameras=())
        except ValueError as e:  # a scene that does not fit on the table is not a placement trial
            print(f"  trial {i}: scene skipped: {e}")
            continue
        t0 = time.perf_counter()
        out = drive(PlaceSkill(), args, robot)
        walls.append(time.perf_counter() - t0)
        robot.advance(0.5)
        ok = check(f"{args.relation}(thing, target)", robot.state())
        agree += int(ok == out.ok)
        kind = spec.objects[0].kind
        rel = f"{args.relation}:{spec.objects[1].kind}"
        for table, key in ((per_kind, kind), (per_rel, rel)):
            table[key][0] += int(ok)
            table[key][1] += 1
        if not ok:
            fails.append(f"trial {i} seed {spec.seed}: {kind} {args.relation} {spec.objects[1].kind}: {out.reason}")
    n = sum(v[1] for v in per_kind.values())
    wins = sum(v[0] for v in per_kind.values())
    print(f"place success: {wins}/{n} = {100.0 * wins / max(n, 1):.1f}%")
    print(f"skill report agreed with the predicate: {agree}/{n}")
    print("by kind:     " + "  ".join(f"{k} {v[0]}/{v[1]}" for k, v in sorted(per_kind.items())))
    print("by relation: " + "  ".join(f"{k} {v[0]}/{v[1]}" for k, v in sorted(per_rel.items())))
    for f in fails[:20]:
        print("  failed:", f)
    return walls


def bench_physics(seconds: float = 3.0) -> float:
    spec = SceneSpec.model_validate({"objects": [{"name": k, "kind": k} for k in ("cup", "block", "can", "trash")]
                                     + [{"name": "bin", "kind": "bin", "at": "right"}], "seed": 1})
    robot = SimRobot(spec, cameras=())
    steps, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        robot.advance(0.05)
        steps += 25
    return steps / (time.perf_counter() - t0)


def bench_render(frames: int = 60) -> float:
    spec = SceneSpec.model_validate({"objects": [{"name": k, "kind": k} for k in ("cup", "block", "can", "fork")]
                                     + [{"name": "bin", "kind": "bin", "at": "right"}], "seed": 1})
    robot = SimRobot(spec, render_size=224)
    robot.observe(render=True)  # the first call builds the GL contexts
    t0 = time.perf_counter()
    for _ in range(frames):
        robot.observe(render=True)
    robot.close()
    return 2 * frames / (time.perf_counter() - t0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    walls = bench_place(a.trials, a.seed)
    if walls:
        print(f"place step wall time: median {1000 * float(np.median(walls)):.0f} ms, "
              f"max {1000 * float(np.max(walls)):.0f} ms (lockstep, no rendering)")
    print(f"physics: {bench_physics():.0f} steps/s (2 ms steps)")
    try:
        print(f"rendering: {bench_render():.0f} frames/s (front + wrist, 224x224)")
    except Exception as e:  # no GL on this machine: say so, the rest still counts
        print(f"rendering: unavailable ({type(e).__name__}: {e})")
    print(f"benchmark wall time: {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
