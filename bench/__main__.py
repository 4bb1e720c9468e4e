"""Run every benchmark in turn: `python -m bench` (or `make bench`). Each prints its numbers."""

from __future__ import annotations

import importlib
import sys
import time
import traceback

# Each module has main(argv); the list is the order they run in.
BENCHMARKS = ["bench.bench_sim", "bench.bench_executor", "bench.bench_planner", "bench.bench_perception",
              "bench.bench_policy", "bench.bench_speech", "bench.bench_voice", "bench.bench_rules_parser",
              "bench.bench_faults", "bench.bench_timeline"]


def main() -> int:
    only = set(sys.argv[1:])
    failed = []
    for name in BENCHMARKS:
        if only and name.split(".")[-1] not in only and name not in only:
            continue
        print(f"\n##### {name} #####", flush=True)
        t0 = time.perf_counter()
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as e:
            print(f"skipped: {e}")
            continue
        try:
            mod.main([])
        except Exception:
            traceback.print_exc()
            failed.append(name)
        print(f"({name} took {time.perf_counter() - t0:.0f} s)", flush=True)
    if failed:
        print("benchmarks that failed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
