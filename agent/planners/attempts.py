"""The ask / check / re-ask / fall back loop shared by the model-backed planners.

A backend supplies one function, `generate(messages, feed, cancel) -> Reply`: it sends the
OpenAI-format `messages` to its model, calls `feed(text)` with each piece of the answer as it
is produced (all of it at once is fine), and returns the whole answer. It raises
`ModelFault` when no answer came (a timeout, a dead server, a crashed generate), and
`PlannerCancelled` when `cancel` was set (checked between pieces). The loop
streams the pieces into the step dispatcher, checks the answer, re-asks with the problems
appended, and after the last attempt falls back.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from typing import Any, Callable

from agent.planners.base import Planner
from agent.planners.dispatch import StepDispatcher
from agent.planners.fallback import FallbackMode, fallback_turn, load_rules_planner
from agent.planners.metrics import PlanMetrics
from agent.planners.prompting import rejection_message
from agent.planners.stream_json import Member, ObjectStreamReader
from agent.planners.turn_check import read_turn
from agent.schema import PlannerError, PlannerInput, PlannerTurn
from skills.registry import SkillRegistry

log = logging.getLogger(__name__)

# A rejected answer is sent back to the model; cap it so garbage does not blow up the prompt.
MAX_ECHO_CHARS = 4000


class ModelFault(Exception):
    """No answer from the model. `retryable` is False when asking again the same way cannot help."""

    def __init__(self, kind: str, message: str, retryable: bool = True):
        super().__init__(message)
        self.kind = kind
        self.retryable = retryable

    def __str__(self) -> str:
        return f"{self.kind}: {self.args[0]}"


@dataclass
class Reply:
    text: str
    finish_reason: str | None = None  # "length" when the answer hit the token limit
    usage: dict[str, Any] | None = None  # OpenAI-style usage, if known


Feed = Callable[[str], None]
Generate = Callable[[list[dict[str, Any]], Feed, "threading.Event | None"], Reply]


@dataclass
class LoopContext:
    """What one planning call needs besides the messages."""

    inp: PlannerInput
    registry: SkillRegistry
    dispatcher: StepDispatcher
    metrics: PlanMetrics
    clock: Callable[[], float]
    t0: float
    cancel: threading.Event | None = None
    advise: "Callable[[ModelFault], str] | None" = None  # what the person should change, per fault


def ask_until_valid(generate: Generate, messages: list[dict[str, Any]], ctx: LoopContext, max_retries: int) -> PlannerTurn | None:
    """The model's checked turn, or None when every attempt failed."""
    m, dispatcher = ctx.metrics, ctx.dispatcher
    for attempt in range(1 + max_retries):
        m.attempts = attempt + 1
        if attempt:
            dispatcher.stop_early()  # re-asked answers are checked whole before anything starts
        feed = _stream_feed(ctx)
        try:
            reply = generate(messages, feed, ctx.cancel)
        except ModelFault as fault:
            m.faults.append(str(fault))
            m.advice = ctx.advise(fault) if ctx.advise is not None else None
            log.warning("%s planner attempt %d: %s", m.planner, attempt + 1, fault)
            dispatcher.stop_early()
            if not fault.retryable:
                return None
            continue
        m.add_usage(reply.usage)
        turn, problems = read_turn(reply.text, ctx.registry, ctx.inp.scene, ctx.inp)
        if reply.finish_reason == "length" and problems:
            problems.insert(0, "the answer was cut off at the token limit; keep it shorter")
        if turn is not None and not problems:
            return dispatcher.finish(turn)
        m.faults.append("rejected: " + "; ".join(problems)[:500])
        m.advice = ("the model's answers did not pass the checks: use a larger model, or the hybrid planner "
                    "(rules first), or give --allow-fallback to let the rules planner answer")
        log.warning("%s planner attempt %d rejected: %s", m.planner, attempt + 1, "; ".join(problems))
        dispatcher.stop_early()
        messages = messages + [
            {"role": "assistant", "content": reply.text[:MAX_ECHO_CHARS]},
            {"role": "user", "content": rejection_message(problems, dispatcher.delivered)},
        ]
    return None


def _stream_feed(ctx: LoopContext) -> Feed:
    reader = ObjectStreamReader("steps")
    header: dict[str, Any] = {}

    def feed(piece: str) -> None:
        if not piece:
            return
        if ctx.metrics.latency_first_token_s is None:
            ctx.metrics.latency_first_token_s = ctx.clock() - ctx.t0
        for event in reader.feed(piece):
            if isinstance(event, Member):
                try:
                    header[event.key] = json.loads(event.raw)
                except ValueError:
                    header[event.key] = event.raw
            else:
                ctx.dispatcher.offer_streamed(event.raw, header)

    return feed


class FallbackSource:
    """The planner to fall back on: given, or the rules planner imported on first need."""

    def __init__(self, mode: FallbackMode, registry: SkillRegistry, planner: Planner | None = None):
        self.mode = mode
        self._registry = registry
        self._planner = planner

    def turn(self, ctx: LoopContext) -> PlannerTurn:
        m = ctx.metrics
        if self.mode == "none":
            advice = f" To fix: {m.advice}." if m.advice else ""
            raise PlannerError(f"the model gave no valid turn after {m.attempts} attempt(s): {' | '.join(m.faults)}.{advice}")
        if self._planner is None and self.mode == "rules":
            self._planner = load_rules_planner(self._registry)
        turn, used = fallback_turn(self.mode, ctx.inp, self._planner, self._registry)
        m.fallback = used
        return ctx.dispatcher.finish(turn)


def finish_metrics(ctx: LoopContext) -> dict[str, Any]:
    m, d = ctx.metrics, ctx.dispatcher
    m.latency_total_s = ctx.clock() - ctx.t0
    if d.first_step_at is not None:
        m.latency_first_step_s = d.first_step_at - ctx.t0
    m.early_steps = d.early_count
    m.steps = len(d.delivered)
    return m.as_dict()


def plan_once(owner: Any, *, model: str, stream: bool, prompt: Any, inp: PlannerInput, registry: SkillRegistry,
              on_step: Callable | None, generate: Generate, fallback: FallbackSource, max_retries: int,
              clock: Callable[[], float], t0: float,
              cancel: threading.Event | None = None,
              advise: Callable[[ModelFault], str] | None = None) -> tuple[PlannerTurn, dict[str, Any]]:
    """One planner turn from a model: ask, check, re-ask, fall back; with the call's metrics,
    also left on `owner.last_metrics` when the turn fails.
    Early dispatch only when the arm is idle: with a step running, the caller must see the
    turn's `preempt` before queuing anything behind (or instead of) that step."""
    import prompts

    name = owner.name
    m = PlanMetrics(planner=name, model=model, prompt_version=prompts.version(), stream=stream,
                    prompt_chars_stable=prompt.stable_chars, prompt_chars_total=prompt.total_chars,
                    images=len(prompt.images))
    dispatcher = StepDispatcher(on_step, registry, inp.scene, early=stream and inp.running is None, clock=clock,
                                 inp=inp)
    ctx = LoopContext(inp=inp, registry=registry, dispatcher=dispatcher, metrics=m, clock=clock, t0=t0, cancel=cancel,
                      advise=advise)
    try:
        turn = ask_until_valid(generate, prompt.openai_messages(), ctx, max_retries)
        if turn is None:
            turn = fallback.turn(ctx)
            turn = _announce_fallback(owner, turn, m)
    finally:
        metrics = finish_metrics(ctx)
        owner.last_metrics = metrics
        log.info("%s plan: %s", name, json.dumps(metrics))
    return turn, metrics


def _announce_fallback(owner: Any, turn: PlannerTurn, m: PlanMetrics) -> PlannerTurn:
    """A fallback is never silent: the log says it every time, and the robot says it aloud the
    first time each kind of fault makes it fall back (a dead server must not make it repeat
    itself every turn)."""
    kinds = {f.split(":", 1)[0] for f in m.faults}
    log.warning("%s planner fell back to %s after: %s%s", m.planner, m.fallback, " | ".join(m.faults),
                f". To fix: {m.advice}" if m.advice else "")
    announced: set[str] = owner.__dict__.setdefault("_announced_fallbacks", set())
    new = kinds - announced
    if not new:
        return turn
    announced |= new
    why = "did not answer in time" if "timeout" in kinds else (
        "gave no usable answer" if kinds <= {"rejected"} else "could not be reached or failed")
    lead = f"The {m.planner} model {why}; {'the rules planner answered' if m.fallback == 'rules' else 'falling back'}."
    return turn.model_copy(update={"say": " ".join(t for t in (lead, turn.say) if t)})
