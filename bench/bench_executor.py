"""Control-loop timing under load, and wall time per step.

Measures, on the simulated robot in real time:
- tick error (how late each tick starts against its deadline) p50/p99 and overruns, at 20 Hz
  and 50 Hz, while a planner thread plans continuously and a camera thread renders both
  cameras continuously (the load a live session puts beside the loop);
- wall time per place step in lockstep (simulated time, as fast as physics goes).
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time

os.environ.setdefault("MUJOCO_GL", "egl")


from agent.planners.rules import RulesPlanner  # noqa: E402
from agent.schema import PlannerInput  # noqa: E402
from perception.state import describe  # noqa: E402
from sim.robot import SimRobot  # noqa: E402
from sim.scenario import ObjectSpec, SceneSpec  # noqa: E402
from skills.builtin.args import PlaceArgs  # noqa: E402
from skills.builtin.place import PlaceSkill  # noqa: E402
from skills.executor import Executor, LockstepClock, RealtimeClock  # noqa: E402

SCENE = SceneSpec(seed=3, objects=[ObjectSpec(name="red cup", kind="cup", color="red"),
                                   ObjectSpec(name="blue block", kind="block", color="blue"),
                                   ObjectSpec(name="bin", kind="bin", at="right"),
                                   ObjectSpec(name="tray", kind="tray", at="left")])


def _load(robot: SimRobot, stop: threading.Event, counts: dict) -> list[threading.Thread]:
    planner = RulesPlanner()

    def plan_loop() -> None:
        while not stop.is_set():
            inp = PlannerInput(utterance="put the red cup on the tray, then put the blue block in the bin",
                               scene=describe(robot.state()))
            planner.plan(inp)
            counts["plans"] += 1

    def render_loop() -> None:
        while not stop.is_set():
            robot.render("front")
            robot.render("wrist")
            counts["frames"] += 2
        robot.release_thread()

    return [threading.Thread(target=plan_loop, daemon=True), threading.Thread(target=render_loop, daemon=True)]


def tick_error(rate_hz: float, loaded: bool) -> dict:
    robot = SimRobot.from_scene(SCENE)
    stop = threading.Event()
    counts = {"plans": 0, "frames": 0}
    threads = _load(robot, stop, counts) if loaded else []
    for t in threads:
        t.start()
    ex = Executor(robot, clock=RealtimeClock())
    t0 = time.perf_counter()
    out, h = ex.run(PlaceSkill(), PlaceArgs(object="red cup", relation="on", target="tray"), rate_hz=rate_hz)
    wall = time.perf_counter() - t0
    stop.set()
    for t in threads:
        t.join()
    robot.close()
    return {"rate": rate_hz, "loaded": loaded, "ok": out.ok, "ticks": h.stats.ticks, "overruns": h.stats.overruns,
            "p50_ms": h.stats.percentile_ms(50), "p99_ms": h.stats.percentile_ms(99),
            "max_ms": max(h.stats.errors_s) * 1e3 if h.stats.errors_s else 0.0,
            "compute_p50_ms": h.stats.percentile_ms(50, "compute"), "plans_per_s": counts["plans"] / wall,
            "frames_per_s": counts["frames"] / wall}


def step_wall_time(n: int) -> list[float]:
    times = []
    for seed in range(n):
        robot = SimRobot.from_scene(SCENE.model_copy(update={"seed": seed}))
        ex = Executor(robot, clock=LockstepClock())
        t0 = time.perf_counter()
        ex.run(PlaceSkill(), PlaceArgs(object="blue block", relation="in", target="bin"))
        times.append(time.perf_counter() - t0)
        robot.close()
    return times


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--steps", type=int, default=5, help="lockstep place steps to time")
    a = ap.parse_args(argv)
    print("== control loop tick error (real time, place skill on the simulated arm) ==")
    print(f"{'rate':>6} {'load':>14} {'ticks':>6} {'overruns':>8} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} "
          f"{'tick cpu ms':>11} {'plans/s':>8} {'frames/s':>8}")
    for rate in (20.0, 50.0):
        for loaded in (False, True):
            r = tick_error(rate, loaded)
            load = "planner+render" if loaded else "none"
            print(f"{r['rate']:>5.0f}H {load:>14} {r['ticks']:>6} {r['overruns']:>8} {r['p50_ms']:>7.2f} "
                  f"{r['p99_ms']:>7.2f} {r['max_ms']:>7.2f} {r['compute_p50_ms']:>11.2f} {r['plans_per_s']:>8.1f} "
                  f"{r['frames_per_s']:>8.1f}" + ("" if r["ok"] else "  (step failed)"))
    times = step_wall_time(a.steps)
    print("== wall time per place step (lockstep simulated time) ==")
    print(f"median {statistics.median(times):.2f} s, min {min(times):.2f} s, max {max(times):.2f} s over {len(times)} steps")


if __name__ == "__main__":
    main()
