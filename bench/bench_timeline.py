"""Control outranks thinking: stop to rest while a slow planner thinks, typed and spoken.

In real time, on the simulated arm, with a planner that takes 5 s every turn (the rules
planner behind a 5 s wait, about what a 1.5B model takes on this CPU with its prompt cached):
the person asks for a job, and while the arm carries the cup they add something (the
planner starts thinking about it, 5 s) and then say "Stop!". Printed:

- stop to rest p50/p95, typed (`eval --text --realtime`) and spoken (`eval --voice`: the
  words synthesized and played into the speech pipeline, reflexes and all). Typed: from the
  moment the word is typed; spoken: from the end of the word in the audio. Target: p95 at
  most 0.3 s for both.
- how long an utterance waits before a planner sees it (heard -> planner call, on the
  session's clock; `planner_asked` events), p50/p95/max.

Run: `python -m bench.bench_timeline [--runs N] [--planner-s S] [--no-voice]`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("MUJOCO_GL", "egl")

from agent import events as ev  # noqa: E402
from agent.config import SessionConfig  # noqa: E402
from agent.planners.base import PlannerCancelled  # noqa: E402
from agent.planners.rules import RulesPlanner  # noqa: E402
from agent.schema import PlannerInput, PlannerTurn  # noqa: E402
from sim.scenario import Scenario  # noqa: E402


class SlowPlanner:
    """The rules planner's answer after `delay_s` of wall time; stops early when cancelled."""

    name = "slow-rules"

    def __init__(self, delay_s: float) -> None:
        self.delay_s = delay_s
        self.rules = RulesPlanner()

    def plan(self, inp: PlannerInput, on_step=None, cancel: threading.Event | None = None) -> PlannerTurn:
        if (cancel or threading.Event()).wait(self.delay_s):
            raise PlannerCancelled()
        return self.rules.plan(inp)


def scenario(i: int) -> Scenario:
    return Scenario.model_validate({
        "id": f"slow-stop-{i}", "tags": ["stop"],
        "scene": {"objects": [{"name": "red cup", "kind": "cup", "color": "red"},
                              {"name": "blue cup", "kind": "cup", "color": "blue"},
                              {"name": "bin", "kind": "bin", "at": "right"}], "seed": 100 + i},
        "turns": [{"say": "Put the red cup in the bin."},
                  {"say": "And the blue cup too.", "when": "moving"},
                  {"say": "Stop!", "when": "moving"}],
        "expect": {"holds": ["!in(red cup, bin)"], "halted": True}})


def _pct(xs: list[float], q: float) -> float | None:
    if not xs:
        return None
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q / 100 * (len(xs) - 1))))]


def _line(label: str, xs: list[float]) -> str:
    if not xs:
        return f"{label}: no samples"
    return (f"{label}: p50 {_pct(xs, 50):.3f} s  p95 {_pct(xs, 95):.3f} s  max {max(xs):.3f} s  "
            f"mean {statistics.mean(xs):.3f} s  (n={len(xs)})")


def run(mode: str, runs: int, planner_s: float, home: Path) -> dict[str, Any]:
    from agent.evaluate import run_scenario

    kit = None
    if mode == "voice":
        from agent.evaluate_voice import SpeechKit, run_scenario_voice

        kit = SpeechKit(voice="piper:steady").load()
    rests: list[float] = []
    waits: list[float] = []
    failures: list[str] = []
    for i in range(runs):
        sc = scenario(i)
        cfg = SessionConfig(home=home, realtime=True)

        def watch(e: Any) -> None:
            if isinstance(e, ev.PlannerAsked) and e.waited_s is not None:
                waits.append(e.waited_s)

        planner = SlowPlanner(planner_s)
        if kit is not None:
            r = run_scenario_voice(sc, cfg, kit, on_event=watch, planner=planner)
        else:
            r = run_scenario(sc, cfg, on_event=watch, planner=planner)
        if r.stop_to_rest_s is not None:
            rests.append(r.stop_to_rest_s)
        if not r.success:
            failures.append(f"{sc.id}: {'; '.join(r.problems)}")
        print(f"  {mode} run {i + 1}/{runs}: stop to rest {r.stop_to_rest_s} s, "
              f"{'pass' if r.success else 'FAIL'} ({r.wall_s:.1f} s)", flush=True)
    return {"rests": rests, "waits": waits, "failures": failures}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=8)
    ap.add_argument("--planner-s", type=float, default=5.0)
    ap.add_argument("--no-voice", action="store_true")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as home:
        results = {"typed": run("typed", args.runs, args.planner_s, Path(home))}
        if not args.no_voice:
            try:
                results["spoken"] = run("voice", args.runs, args.planner_s, Path(home))
            except Exception as e:  # speech models not installed: say so, keep the typed numbers
                print(f"spoken stops skipped: {type(e).__name__}: {e}")
    print(f"\nstop to rest with a {args.planner_s:.0f} s planner thinking (target p95 <= 0.3 s):")
    for mode, res in results.items():
        print("  " + _line(f"{mode:<6}", res["rests"]))
    print("utterance heard -> a planner sees it:")
    for mode, res in results.items():
        print("  " + _line(f"{mode:<6}", res["waits"]))
    for mode, res in results.items():
        for f in res["failures"]:
            print(f"  {mode} scenario failed: {f}")
    print(f"(took {time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
