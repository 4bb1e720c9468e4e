"""The `hybrid` planner, the embedded default: the rules parser first, a model for the rest.

The rules parser answers at once and predictably what it fully understands. Built with
`handover=True`, it raises `NotUnderstood(reason)` for anything else (a word it cannot place,
an object it cannot ground, a refusal or question the scene contradicts), and the turn goes to
the model planner (the local model by default, the served one when configured). Both answers
pass the same checks; a rules answer that does not is handed over too. The model is built on
the first hand-over, so a session that never needs it never loads it. When the model cannot be
had at all, the rules parser answers as it does alone, and the robot says why once.

Per turn, `last_metrics` says who answered: `planner` is "rules" or the model's name, `via` is
"hybrid", `handover` is the reason the rules parser gave (None when it answered).
"""

from __future__ import annotations

import inspect
import logging
import threading
import time
from typing import Any, Callable

from agent.planners.base import NotUnderstood, Planner, StepCallback
from agent.planners.turn_check import check_turn
from agent.schema import PlannerInput, PlannerTurn
from skills.registry import SkillRegistry

log = logging.getLogger(__name__)

ModelFactory = Callable[[], Planner]


def rules_planner(registry: SkillRegistry, handover: bool) -> Planner:
    """The rules planner, in hand-over mode when it has one."""
    from agent.planners.rules import RulesPlanner  # noqa: PLC0415

    params = inspect.signature(RulesPlanner).parameters
    kwargs: dict[str, Any] = {}
    if "registry" in params:
        kwargs["registry"] = registry
    if "handover" in params:
        kwargs["handover"] = handover
    elif handover:
        log.warning("this rules planner cannot hand over; the hybrid planner answers with rules alone")
    return RulesPlanner(**kwargs)


class HybridPlanner:
    name = "hybrid"

    def __init__(self, rules: Planner, model: ModelFactory | None, registry: SkillRegistry,
                 rules_alone: Planner | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        """`rules` hands over (raises NotUnderstood); `model` builds the model planner on first
        need (None: no model configured); `rules_alone` answers when there is no model (the
        rules parser without hand-over: it asks or refuses as it does on its own)."""
        self.rules = rules
        self._model_factory = model
        self._model: Planner | None = None
        self._model_error: str | None = None if model is not None else "no model planner is configured"
        self._rules_alone = rules_alone
        self.registry = registry
        self._clock = clock
        self._lock = threading.Lock()
        self._said_no_model = False
        self.last_metrics: dict[str, Any] = {}

    def close(self) -> None:
        close = getattr(self._model, "close", None)
        if close is not None:
            close()

    def plan(self, inp: PlannerInput, on_step: StepCallback | None = None,
             cancel: threading.Event | None = None) -> PlannerTurn:
        t0 = self._clock()
        try:
            turn = self.rules.plan(inp)  # no on_step: nothing starts before the answer is checked
        except NotUnderstood as e:
            reason = str(e) or "the rules parser did not understand it"
        else:
            problems = check_turn(turn, self.registry, inp.scene, inp)
            if not problems:
                for step in turn.steps:
                    if on_step is not None:
                        on_step(step)
                self.last_metrics = {"planner": "rules", "via": "hybrid", "handover": None, "fallback": None,
                                     "latency_total_s": round(self._clock() - t0, 4), "steps": len(turn.steps)}
                return turn
            reason = "the rules answer failed its checks: " + "; ".join(problems)
        log.info("hybrid planner: handing over to the model: %s", reason)
        model = self._get_model()
        if model is None:
            return self._without_model(inp, on_step, reason, t0)
        turn = model.plan(inp, on_step=on_step, cancel=cancel)
        metrics = dict(getattr(model, "last_metrics", {}) or {})
        metrics.update(via="hybrid", handover=reason)
        metrics.setdefault("planner", getattr(model, "name", "model"))
        self.last_metrics = metrics
        return turn

    def _get_model(self) -> Planner | None:
        with self._lock:
            if self._model is None and self._model_error is None and self._model_factory is not None:
                try:
                    self._model = self._model_factory()
                except Exception as e:  # a missing runtime or model file: say so, keep answering
                    self._model_error = f"{type(e).__name__}: {e}"
                    log.warning("hybrid planner: no model planner (%s); the rules parser answers alone",
                                self._model_error)
            return self._model

    def _without_model(self, inp: PlannerInput, on_step: StepCallback | None, reason: str, t0: float) -> PlannerTurn:
        if self._rules_alone is not None:
            turn = self._rules_alone.plan(inp)
            if check_turn(turn, self.registry, inp.scene, inp):
                turn = PlannerTurn(question="I didn't understand that; could you say it another way?")
        else:
            turn = PlannerTurn(question="I didn't understand that; could you say it another way?")
        for step in turn.steps:
            if on_step is not None:
                on_step(step)
        if not self._said_no_model:
            self._said_no_model = True
            lead = "I have no planning model to ask, so I'm answering from my built-in rules."
            turn = turn.model_copy(update={"say": " ".join(t for t in (lead, turn.say) if t)})
        self.last_metrics = {"planner": "rules", "via": "hybrid", "handover": reason, "fallback": "rules",
                             "faults": [f"no model: {self._model_error}"],
                             "advice": "run `make local-model` (and `make setup`), or set planner = \"openai\" "
                                       "with an [openai] server",
                             "latency_total_s": round(self._clock() - t0, 4), "steps": len(turn.steps)}
        return turn
