"""Per-call measurements of a model-backed planner, in the shape PlanMade.metrics logs."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class PlanMetrics:
    planner: str
    model: str
    prompt_version: str
    stream: bool = False
    latency_first_token_s: float | None = None  # request sent -> first content from the model
    latency_first_step_s: float | None = None  # request sent -> first step handed to on_step
    latency_total_s: float | None = None  # plan() entered -> plan() returns
    tokens_in: int | None = None  # summed over attempts, as the server reports usage
    tokens_out: int | None = None
    cached_tokens: int | None = None  # usage.prompt_tokens_details.cached_tokens, when reported
    # The first attempt alone: whether this turn found its prompt cached (re-asks are summed above).
    first_tokens_in: int | None = None
    first_cached_tokens: int | None = None
    prompt_chars_stable: int = 0  # the system prompt: identical across turns, cacheable
    prompt_chars_total: int = 0  # system prompt + this turn's text (images not counted)
    images: int = 0
    attempts: int = 0
    faults: list[str] = field(default_factory=list)
    fallback: str | None = None  # "rules" or "ask" when the model's answer was not used
    advice: str | None = None  # what to change so the last fault does not happen again
    notices: list[str] = field(default_factory=list)  # settings stepped down during this call
    early_steps: int = 0  # steps handed over while the model was still writing
    threads: int | None = None  # CPU threads a local model decoded with (the last attempt's)
    steps: int = 0

    @property
    def prompt_stable_fraction(self) -> float:
        return self.prompt_chars_stable / self.prompt_chars_total if self.prompt_chars_total else 0.0

    def add_usage(self, usage: dict[str, Any] | None) -> None:
        if not usage:
            return
        self.tokens_in = (self.tokens_in or 0) + int(usage.get("prompt_tokens") or 0)
        self.tokens_out = (self.tokens_out or 0) + int(usage.get("completion_tokens") or 0)
        details = usage.get("prompt_tokens_details") or {}
        cached = details.get("cached_tokens") if isinstance(details, dict) else None
        if cached is not None:
            self.cached_tokens = (self.cached_tokens or 0) + int(cached)
        if usage.get("threads") is not None:
            self.threads = int(usage["threads"])
        if self.first_tokens_in is None:
            self.first_tokens_in = int(usage.get("prompt_tokens") or 0)
            self.first_cached_tokens = None if cached is None else int(cached)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["prompt_stable_fraction"] = round(self.prompt_stable_fraction, 4)
        for k in ("latency_first_token_s", "latency_first_step_s", "latency_total_s"):
            if d[k] is not None:
                d[k] = round(d[k], 4)
        return d
