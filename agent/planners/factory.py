"""The planner a session's configuration asks for."""

from __future__ import annotations

import os
import threading
from typing import Any, Callable

from agent.planners.base import Planner
from skills.registry import SkillRegistry

HYBRID_MODEL_ENV = "HIROBOT_HYBRID_MODEL"


def model_planner(kind: str, config: Any, registry: SkillRegistry, **fallback: Any) -> Planner:
    """A model-backed planner: "openai", "local" or "transformers"."""
    if kind == "openai":
        from agent.planners.openai_backend import OpenAIPlanner, OpenAIPlannerConfig

        return OpenAIPlanner(OpenAIPlannerConfig.load(**{**config.openai, **fallback.get("overrides", {})}),
                             registry=registry, fallback_planner=fallback.get("planner"))
    if kind == "local":
        from agent.planners.local_backend import LocalPlanner, LocalPlannerConfig

        return LocalPlanner(LocalPlannerConfig.model_validate({**config.local, **fallback.get("overrides", {})}),
                            registry=registry, fallback_planner=fallback.get("planner"))
    if kind == "transformers":
        from agent.planners.transformers_backend import TransformersPlanner, TransformersPlannerConfig

        settings = {**config.transformers, **fallback.get("overrides", {})}
        if config.transformers_path is not None:
            settings.setdefault("model_path", str(config.transformers_path))
        if not settings.get("model_path"):
            raise ValueError("the transformers planner needs a model folder: pass --model-path PATH")
        return TransformersPlanner(TransformersPlannerConfig.model_validate(settings), registry=registry,
                                   fallback_planner=fallback.get("planner"))
    raise ValueError(f"unknown model planner {kind!r}")


def make_planner(config: Any, registry: SkillRegistry) -> Planner:
    if config.planner == "rules":
        from agent.planners.hybrid import rules_planner

        return rules_planner(registry, handover=False)
    if config.planner == "hybrid":
        return hybrid_planner(config, registry)
    return model_planner(config.planner, config, registry)


def hybrid_planner(config: Any, registry: SkillRegistry, shared: Callable[[], Planner] | None = None) -> Planner:
    """`shared`: builds (once) or returns the model planner shared between sessions."""
    from agent.planners.hybrid import HybridPlanner, rules_planner

    kind = hybrid_model_kind(config)
    alone = rules_planner(registry, handover=False)
    if kind == "none":
        return alone  # no model configured: the rules parser answers everything, as on its own
    factory = shared
    if factory is None:
        # The rules parser already declined the turn: if the model fails too, the rules
        # parser's own answer (a question or refusal) is the fallback, said as such.
        def factory() -> Planner:
            return model_planner(kind, config, registry, planner=alone)

    return HybridPlanner(rules_planner(registry, handover=True), factory, registry, rules_alone=alone)


def hybrid_model_kind(config: Any) -> str:
    return os.environ.get(HYBRID_MODEL_ENV) or config.hybrid_model


class PlannerPool:
    """Model planners built once and shared by many sessions (an evaluation runs one session
    per scenario): a model loads once and keeps its prompt cache. Sessions get their own
    rules and hybrid wrappers; only the model behind them is shared."""

    def __init__(self, config: Any, registry: SkillRegistry) -> None:
        self.config = config
        self.registry = registry
        self._model: Planner | None = None
        self._error: Exception | None = None
        self._lock = threading.Lock()

    def _shared_model(self, kind: str) -> Planner:
        with self._lock:
            if self._error is not None:
                raise self._error  # the hybrid says it once per session and answers by rules
            if self._model is None:
                fallback = {}
                if self.config.planner == "hybrid":
                    from agent.planners.hybrid import rules_planner

                    fallback["planner"] = rules_planner(self.registry, handover=False)
                try:
                    self._model = model_planner(kind, self.config, self.registry, **fallback)
                except Exception as e:
                    self._error = e
                    raise
            return self._model

    def planner(self) -> Planner | None:
        """The planner for the next session; None: let the session build its own."""
        kind = self.config.planner
        if kind in ("openai", "local", "transformers"):
            return self._shared_model(kind)
        if kind == "hybrid":
            model_kind = hybrid_model_kind(self.config)
            if model_kind == "none":
                return None
            # Built on the first hand-over of any session, then shared.
            return hybrid_planner(self.config, self.registry, shared=lambda: self._shared_model(model_kind))
        return None

    def close(self) -> None:
        close = getattr(self._model, "close", None)
        if close is not None:
            close()


def wants_images(config: Any) -> bool:
    """Whether the planner may look at camera frames (rendering them costs every turn)."""
    kind = config.planner
    if kind == "hybrid":
        kind = os.environ.get(HYBRID_MODEL_ENV) or config.hybrid_model
    return kind in ("openai", "transformers")
