"""The rules parser on the held-out scenario sets, and its time against the length of what is said.

Held-out sets (tests/scenarios/heldout_*.jsonl) are worded apart from the public scenarios and
the other scenario files, and were written before the parser was changed for them. Each
scenario is played against the symbolic table of the rules-planner tests and counted as
right, handed over (the planner said it did not fully understand), declined (a refusal or a
question where it should have acted; nothing moved) or acted wrongly (the table ends wrong).

Usage: python -m bench.bench_rules_parser [--handover] [--verbose]  (both modes without --handover)
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter
from pathlib import Path

from agent.planners.rules import RulesPlanner
from sim.scenario import load_scenarios

SETS = Path(__file__).resolve().parent.parent / "tests" / "scenarios"
HELDOUT = ["heldout_typed.jsonl", "heldout_spoken.jsonl"]
VERDICTS = ["right", "handed_over", "declined", "acted_wrongly"]


def heldout_counts(handover: bool, verbose: bool = False, files: list[Path] | None = None) -> dict[str, Counter]:
    from tests.test_rules_planner_support import judge

    def factory() -> RulesPlanner:
        return RulesPlanner(handover=True) if handover else RulesPlanner()

    out: dict[str, Counter] = {}
    for path in files or [SETS / name for name in HELDOUT]:
        counts: Counter = Counter()
        for sc in load_scenarios(path):
            outcome = judge(sc, factory)
            counts[outcome.verdict] += 1
            if verbose and outcome.verdict != "right":
                print(f"  {sc.id:<14} {outcome.verdict:<13} {outcome.detail}")
        out[path.name] = counts
    return out


def length_timings(sizes: tuple[int, ...] = (250, 500, 1000, 2000, 100_000)) -> list[tuple[int, float]]:
    """Median seconds (of 5) to plan a request of about `size` characters made of clauses joined by
    "and" (cut off mid-clause, so the other readings are tried too)."""
    from tests.test_rules_planner_support import Session, obj, scene

    clause = "put the red cup in the bin and "
    rows = []
    for size in sizes:
        text = (clause * (size // len(clause) + 1))[:size]
        runs = []
        for _ in range(5):
            s = Session(scene(obj("red cup", "cup", "red"), obj("bin", "bin", at="right")))
            t0 = time.perf_counter()
            s.say(text)
            runs.append(time.perf_counter() - t0)
        rows.append((len(text), statistics.median(runs)))
    return rows


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--handover", action="store_true", help="only the hand-over mode (RulesPlanner(handover=True))")
    ap.add_argument("--verbose", action="store_true", help="print every scenario that is not right")
    ap.add_argument("files", nargs="*", type=Path, help="scenario files instead of the held-out sets")
    args = ap.parse_args(argv)
    modes = [True] if args.handover else [False, True]
    for handover in modes:
        try:
            counts = heldout_counts(handover, args.verbose, args.files or None)
        except TypeError:
            print("rules planner has no hand-over mode")
            continue
        label = "rules, hand-over on" if handover else "rules alone"
        for name, c in counts.items():
            total = sum(c.values())
            cells = "  ".join(f"{v} {c[v]}" for v in VERDICTS)
            print(f"{label:<20} {name:<22} {total:>3} scenarios  {cells}")
    if args.files:
        return
    for size, seconds in length_timings():
        print(f"plan a {size:>6}-character request: {seconds * 1000:8.1f} ms (median of 5)")


if __name__ == "__main__":
    main()
