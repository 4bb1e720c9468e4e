"""Per-turn planner reports: who answered each turn, every fallback, latency and tokens, as
the evaluation report and the console show them."""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

MODEL_PLANNERS = ("openai", "local", "transformers")
_KEYS = ("attempts", "fallback", "handover", "faults", "advice", "notices", "latency_first_token_s",
         "latency_first_step_s", "latency_total_s", "tokens_in", "cached_tokens", "tokens_out", "model",
         "first_tokens_in", "first_cached_tokens", "threads")


def who_answered(planner: str, metrics: dict[str, Any]) -> str:
    """The planner whose answer the turn used: a fallback names itself, not the model that failed."""
    if metrics.get("fallback"):
        return f"{metrics['fallback']} (fallback)"
    return str(metrics.get("planner") or planner)


def turn_record(planner: str, utterance: str, metrics: dict[str, Any]) -> dict[str, Any]:
    rec = {"utterance": utterance, "session_planner": planner, "answered_by": who_answered(planner, metrics)}
    rec.update({k: metrics.get(k) for k in _KEYS})
    if rec["latency_total_s"] is None:
        rec["latency_total_s"] = metrics.get("total_s")  # what ask_planner measures for any planner
    return rec


def fallback_problems(turns: list[dict[str, Any]], session_planner: str) -> list[str]:
    """Under a model planner, a turn another planner answered is a failed turn of that model."""
    if session_planner not in MODEL_PLANNERS:
        return []
    out = []
    for i, t in enumerate(turns, 1):
        if t.get("fallback"):
            faults = "; ".join(t.get("faults") or [])[:200]
            out.append(f"turn {i}: the {session_planner} planner fell back to {t['fallback']} ({faults}); "
                       f"pass --allow-fallback to count such turns")
    return out


def _s(v: Any) -> str:
    return "-" if v is None else f"{v:.2f} s"


def turn_line(t: dict[str, Any]) -> str:
    parts = [f"by {t['answered_by']}"]
    if t.get("handover"):
        parts.append(f"handed over: {str(t['handover'])[:80]}")
    if t.get("latency_total_s") is not None:
        parts.append(f"first token {_s(t.get('latency_first_token_s'))}, first step "
                     f"{_s(t.get('latency_first_step_s'))}, whole {_s(t.get('latency_total_s'))}")
    if t.get("tokens_in") is not None:
        parts.append(f"tokens {t['tokens_in']} in ({t.get('cached_tokens') or 0} cached), {t.get('tokens_out')} out"
                     + (f", {t['threads']} threads" if t.get("threads") else ""))
    if t.get("fallback"):
        parts.append("faults: " + " | ".join(t.get("faults") or [])[:200])
    for n in t.get("notices") or []:
        parts.append("notice: " + n[:160])
    return "    planner: " + "; ".join(parts)


def turn_lines(turns: Iterable[dict[str, Any]]) -> list[str]:
    return [turn_line(t) for t in turns]


def _pct(xs: list[float], q: float) -> float | None:
    return round(float(np.percentile(xs, q)), 3) if xs else None


def summarize_turns(turns: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts and latency percentiles over turns. "cached" turns are model turns that found
    most of their prompt in the model's cache; "cold" the others."""
    by: dict[str, int] = {}
    for t in turns:
        by[t["answered_by"]] = by.get(t["answered_by"], 0) + 1
    model = [t for t in turns if t.get("tokens_in") is not None and not t.get("fallback")]
    cold = [t["latency_total_s"] for t in model if not _cached(t)]
    warm = [t["latency_total_s"] for t in model if _cached(t)]
    first_step = [t["latency_first_step_s"] for t in model if t.get("latency_first_step_s") is not None]
    return {"turns": len(turns), "answered_by": dict(sorted(by.items())),
            "fallbacks": sum(1 for t in turns if t.get("fallback")),
            "handovers": sum(1 for t in turns if t.get("handover")),
            "model_turn_s_cold": {"p50": _pct(cold, 50), "p90": _pct(cold, 90), "n": len(cold)},
            "model_turn_s_cached": {"p50": _pct(warm, 50), "p90": _pct(warm, 90), "n": len(warm)},
            "model_first_step_s": {"p50": _pct(first_step, 50), "p90": _pct(first_step, 90), "n": len(first_step)}}


def _cached(t: dict[str, Any]) -> bool:
    """Whether the turn's first attempt found at least half its prompt in the model's cache
    (summed over re-asks, a cold first attempt and a cached re-ask would look half cached)."""
    total = t.get("first_tokens_in") if t.get("first_tokens_in") is not None else t["tokens_in"]
    cached = t.get("first_cached_tokens") if t.get("first_tokens_in") is not None else t.get("cached_tokens")
    return (cached or 0) >= 0.5 * (total or 0) and bool(total)


def planner_summary(results: Iterable[Any]) -> dict[str, Any]:
    return summarize_turns([t for r in results for t in getattr(r, "planner_turns", [])])


def planner_summary_line(s: dict[str, Any]) -> str:
    c, w = s["model_turn_s_cold"], s["model_turn_s_cached"]
    f = s["model_first_step_s"]
    return (f"planner: {s['turns']} turns answered by {s['answered_by']}; fallbacks {s['fallbacks']}, "
            f"hand-overs {s['handovers']}; model turn p50/p90 cold {c['p50']}/{c['p90']} s (n={c['n']}), "
            f"cached {w['p50']}/{w['p90']} s (n={w['n']}); first step p50/p90 {f['p50']}/{f['p90']} s")
