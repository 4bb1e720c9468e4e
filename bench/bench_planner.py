"""Benchmarks of the planners.

    python -m bench.bench_planner [--n 5] [--rate 50]         # the client side, against a stub
    python -m bench.bench_planner --models [--only ID ...]    # real models on the public scenarios

`--models` (`make bench-planner`) loads the local model (Qwen2.5-Coder-1.5B Q4_K_M by default,
`--model-path` for another GGUF) once and runs the public scenarios through `--planner local`
alone and through the hybrid default, printing per tag the scenarios passed, the fallbacks,
and model turn latency p50/p90 cold (the system prompt not yet in the KV cache) and cached.
A turn the model did not answer (a fallback) fails its scenario under `local`.

The stub part prints medians over N calls of:
Prints medians over N calls of:
- client overhead: time plan() took minus the time the server spent on the request
  (prompt rendering, JSON encoding, HTTP, SSE parsing, incremental JSON, validation),
- time to the first dispatched step (on_step) with and without streaming, with the server
  writing tokens at `--rate` tokens per second (a 7B VLM on one GPU under load writes 30-80),
- how much of a typical prompt is the stable, cacheable prefix.
"""

from __future__ import annotations

import argparse
import statistics
import time

from agent.planners.openai_backend import OpenAIPlanner, OpenAIPlannerConfig
from agent.schema import DialogueTurn, Note, PlanStep, StepRecord
from tests.openai_stub_server import StubServer, scripted
from tests.planner_fixtures import BLOCK_TO_TRAY, RED_TO_BIN, planner_input, registry, turn_json

REPLY = turn_json([RED_TO_BIN, BLOCK_TO_TRAY], say="The red cup goes in the bin, then the block on the tray.")


def typical_input():
    """A mid-session turn: notes, a finished step, some dialogue."""
    return planner_input(
        "Now put the green block on the tray, and then the red cup in the bin.",
        notes=[Note(text="cups go on the tray", scope="user"), Note(text="be gentle with the cups")],
        done=[StepRecord(step=PlanStep(skill="place", args={"object": "blue cup", "relation": "in", "target": "tray"}),
                         status="success")],
        dialogue=[DialogueTurn(role="user", text="Put the blue cup on the tray."),
                  DialogueTurn(role="robot", text="Putting the blue cup on the tray.")],
    )


def run(stream: bool, rate: float | None, n: int) -> dict[str, float]:
    overhead, first_step, total = [], [], []
    with StubServer(scripted(REPLY), token_rate=rate) as stub:
        planner = OpenAIPlanner(OpenAIPlannerConfig(base_url=stub.base_url, api_key="bench", stream=stream, timeout_s=60),
                                registry=registry())
        try:
            planner.plan(typical_input())  # warm: connection, rendered system prompt
            for _ in range(n):
                stamps: list[float] = []
                t0 = time.monotonic()
                planner.plan(typical_input(), on_step=lambda s: stamps.append(time.monotonic()))
                t1 = time.monotonic()
                timing = stub.timings[-1]
                server = (timing.done or t1) - timing.received
                overhead.append((t1 - t0 - server) * 1000)
                first_step.append((stamps[0] - t0) * 1000)
                total.append((t1 - t0) * 1000)
        finally:
            planner.close()
    return {"overhead_ms": statistics.median(overhead), "first_step_ms": statistics.median(first_step),
            "total_ms": statistics.median(total)}


def prefix_report() -> str:
    from agent.planners.prompting import build_prompt

    inp = typical_input()
    p = build_prompt(inp, inp.skills, with_images=False)
    # ~4 characters per token for English and JSON in common BPE vocabularies (Qwen2.5: ~3.8).
    return (f"typical prompt: {p.total_chars} chars (~{p.total_chars // 4} tokens), stable prefix "
            f"{p.stable_chars} chars (~{p.stable_chars // 4} tokens) = {p.stable_chars / p.total_chars:.0%} of the "
            f"text; a camera frame adds image tokens (e.g. ~300-1200 for Qwen2.5-VL) to the per-turn part")


def run_models(only: list[str] | None, model_path: str | None, planners: list[str]) -> None:
    import tempfile
    from pathlib import Path

    from agent.config import SessionConfig
    from agent.evaluate import run_scenario, totals_by_tag
    from agent.planners.factory import PlannerPool
    from agent.planners.report import planner_summary, planner_summary_line
    from sim.scenario import load_scenarios
    from skills.registry import load_registry

    public = Path(__file__).resolve().parents[2] / "shared" / "eval" / "public.jsonl"
    if not public.exists():
        public = Path(__file__).resolve().parents[1] / ".." / "shared" / "eval" / "public.jsonl"
    scenarios = load_scenarios(public)
    if only:
        scenarios = [s for s in scenarios if s.id in set(only)]
    # No warm-up: the first model turn of each run is measured cold, the rest with the
    # system prompt in the KV cache.
    local = {"warm_up": False, **({"model_path": model_path} if model_path else {})}
    print(f"{len(scenarios)} public scenarios; llama.cpp threads: as many as idle cores before each turn (see each turn); model "
          f"{model_path or 'Qwen2.5-Coder-1.5B-Instruct Q4_K_M (default)'}", flush=True)
    for name in planners:
        with tempfile.TemporaryDirectory() as home:
            cfg = SessionConfig(home=Path(home), planner=name, local=local, hybrid_model="local")
            pool = PlannerPool(cfg, load_registry())
            results = []
            t0 = time.perf_counter()
            try:
                for sc in scenarios:
                    r = run_scenario(sc, cfg, planner=pool.planner())
                    results.append(r)
                    who = ",".join(sorted({t["answered_by"] for t in r.planner_turns}))
                    print(f"  {name:6} {'pass' if r.success else 'FAIL'} {sc.id:<10} {r.wall_s:6.1f} s  by {who}  "
                          + ("; ".join(r.problems)[:160] if r.problems else ""), flush=True)
            finally:
                pool.close()
        passed = sum(r.success for r in results)
        print(f"== {name}: {passed}/{len(results)} public scenarios passed in {time.perf_counter() - t0:.0f} s")
        for tag, t in totals_by_tag(results).items():
            print(f"   {tag:<22} {t['passed']}/{t['total']}")
        print("   " + planner_summary_line(planner_summary(results)), flush=True)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.bench_planner")
    ap.add_argument("--n", type=int, default=5, help="calls per configuration")
    ap.add_argument("--rate", type=float, default=50.0, help="stub tokens per second")
    ap.add_argument("--models", action="store_true", help="run the public scenarios through the local model")
    ap.add_argument("--only", nargs="*", help="with --models: only these scenario ids")
    ap.add_argument("--model-path", default=None, help="with --models: a GGUF file instead of the default")
    ap.add_argument("--planners", nargs="*", default=["local", "hybrid"], help="with --models: which planners")
    args = ap.parse_args(argv)
    if args.models:
        run_models(args.only, args.model_path, args.planners)
        return
    tokens = len(REPLY) // 4
    print(f"reply: {len(REPLY)} chars = {tokens} stub tokens; paced at {args.rate:g} tokens/s")
    print(prefix_report())
    for label, stream, rate, n in [
        ("no stream, unpaced", False, None, max(args.n, 20)),
        ("stream,    unpaced", True, None, max(args.n, 20)),
        ("no stream, paced  ", False, args.rate, args.n),
        ("stream,    paced  ", True, args.rate, args.n),
    ]:
        r = run(stream, rate, n)
        print(f"{label}: median client overhead {r['overhead_ms']:7.2f} ms | first step {r['first_step_ms']:8.1f} ms | "
              f"total {r['total_ms']:8.1f} ms  (n={n})")


if __name__ == "__main__":
    main()
