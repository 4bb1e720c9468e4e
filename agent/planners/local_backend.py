"""The `local` planner: a GGUF instruction model run in this process by llama.cpp on the CPU.

Offline by construction: the model is a file (any GGUF path, by default the Qwen2.5-Coder-1.5B
model reassembled from its PyPI parts by `agent.planners.local_model`), and nothing else is
fetched. Per call it does what the served planners do (`attempts.plan_once`: stream, hand over
steps early, check, re-ask, fall back), with two things only a local runtime can do:

- the turn schema becomes a llama.cpp grammar (JSON schema -> GBNF) once per catalogue, so the
  decoder cannot write anything but a planner turn with known skills and valid arguments;
- the system prompt comes first and never changes, so llama.cpp's KV cache keeps it between
  turns: each turn only evaluates its own few hundred tokens (llama-cpp-python matches the
  longest common token prefix with what it evaluated last). `warm_up()` evaluates it ahead of
  the first turn.

llama.cpp is not thread-safe per model: one lock serialises warm-up and turns.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path
from typing import Any, Callable

from pydantic import BaseModel, ConfigDict, Field

from agent.planners.attempts import Feed, FallbackSource, ModelFault, Reply, plan_once
from agent.planners.base import Planner, PlannerCancelled, StepCallback
from agent.planners.cpu_share import IdleCores
from agent.planners.fallback import FallbackMode
from agent.planners.grammar_decoding import Decoded, decode
from agent.planners.local_model import check_gguf, default_model_path
from agent.planners.openai_backend import text_only
from agent.planners.prompting import Prompt, build_prompt, catalogue, system_prompt
from agent.planners.instructions import with_instruction, with_instructions
from agent.planners.turn_check import ASK_WHICH
from agent.planners.turn_schema import compact_turn_schema, question_only_schema, turn_schema
from agent.schema import PlannerInput, PlannerTurn, SkillInfo
from skills.registry import SkillRegistry, load_registry

log = logging.getLogger(__name__)


_BACKEND_LOCK = threading.Lock()


def _backend_ready(llama_cls: Any) -> None:
    """Initialise llama.cpp's backend once, here. llama-cpp-python does it inside the first
    `Llama()` with stdout and stderr redirected to /dev/null (sys.stdout swapped and fds 1 and 2
    dup2'd), which, when a model loads in a worker thread, swallows what other threads print
    and can leave sys.stdout pointing at /dev/null for good (seen: an evaluation printed
    nothing). Doing it first, without the redirection, makes the Llama() skip it."""
    import llama_cpp  # noqa: PLC0415

    with _BACKEND_LOCK:
        if not getattr(llama_cls, "_Llama__backend_initialized", False):
            llama_cpp.llama_backend_init()
            llama_cls._Llama__backend_initialized = True


class LocalPlannerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model_path: Path | None = Field(default=None, description="a GGUF file; default: the packaged Qwen2.5-Coder-1.5B")
    n_ctx: int = Field(default=8192, gt=0, description="context tokens: the 3.4k-token system prompt plus a turn")
    n_threads: int | None = Field(default=None, gt=0, description="default: as many as there are idle cores, "
                                                                   "looked at before each turn (agent.planners.cpu_share)")
    n_batch: int = Field(default=512, gt=0)
    max_tokens: int = Field(default=512, gt=0)
    temperature: float = 0.0
    timeout_s: float = Field(default=180.0, gt=0, description="whole answer, per attempt (checked between tokens)")
    max_retries: int = Field(default=1, ge=0)
    fallback: FallbackMode = "rules"
    warm_up: bool = Field(default=True, description="evaluate the system prompt in the background at start")
    compact: bool = Field(default=True, description="the compact answer format (each kind of turn with only its own "
                                                    "fields, no step instructions): about half the output tokens")


class LocalPlanner:
    name = "local"

    def __init__(self, config: LocalPlannerConfig | None = None, registry: SkillRegistry | None = None, *,
                 fallback_planner: Planner | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config or LocalPlannerConfig()
        self.registry = registry if registry is not None else load_registry()
        self.model_path = Path(self.config.model_path or default_model_path())
        check_gguf(self.model_path)  # fail at start, with the fix, not on the first turn
        self._fallback = FallbackSource(self.config.fallback, self.registry, fallback_planner)
        self._clock = clock
        self._catalogue = [SkillInfo.model_validate(e) for e in self.registry.catalogue()]
        self._lock = threading.Lock()
        self._llm: Any = None
        self._rendered_for: str | None = None
        self._system = ""
        self._grammar: Any = None
        self._ask_only: Any = None  # the question-only grammar of a re-ask after a guess
        self.last_metrics: dict[str, Any] = {}
        self._warm: threading.Thread | None = None
        self._cores = IdleCores()
        self.last_threads: int | None = None
        if self.config.warm_up:
            self._warm = threading.Thread(target=self.warm_up, name="local-planner-warm-up", daemon=True)
            self._warm.start()

    def __repr__(self) -> str:
        return f"LocalPlanner(model_path={str(self.model_path)!r})"

    def close(self) -> None:
        with self._lock:
            if self._llm is not None:
                self._llm.close()
                self._llm = None

    # -- the planner protocol --------------------------------------------------------------

    def plan(self, inp: PlannerInput, on_step: StepCallback | None = None,
             cancel: threading.Event | None = None) -> PlannerTurn:
        return self.plan_with_metrics(inp, on_step, cancel)[0]

    def plan_with_metrics(self, inp: PlannerInput, on_step: StepCallback | None = None,
                          cancel: threading.Event | None = None) -> tuple[PlannerTurn, dict[str, Any]]:
        t0 = self._clock()
        # Steps come without instructions in the compact format: written from the step, the
        # same way for a step handed over early and for the finished turn.
        step_cb = (lambda st: on_step(with_instruction(st))) if on_step is not None else None
        with self._lock:
            prompt = self._prompt(inp)
            turn, metrics = plan_once(self, model=self.model_path.name, stream=True, prompt=prompt, inp=inp,
                                      registry=self.registry, on_step=step_cb, generate=self._generate,
                                      fallback=self._fallback, max_retries=self.config.max_retries,
                                      clock=self._clock, t0=t0, cancel=cancel, advise=self.advice)
        return with_instructions(turn), metrics

    def warm_up(self) -> None:
        """Load the model and evaluate the system prompt, so the first turn starts from cache."""
        try:
            with self._lock:
                skills = list(self._catalogue)
                self._render(skills)
                llm = self._model()
                self._use_threads(llm)
                messages = [{"role": "system", "content": self._system}, {"role": "user", "content": "-"}]
                for _ in decode(llm, messages, None, 1, Decoded()):
                    pass
        except Exception as e:  # a failed warm-up only costs the first turn its speed
            log.warning("local planner warm-up failed: %s: %s", type(e).__name__, e)

    def advice(self, fault: ModelFault) -> str:
        if fault.kind == "timeout":
            return (f"the local model did not finish within timeout_s = {self.config.timeout_s:g} s: raise [local] "
                    f"timeout_s, lower max_tokens, or use a smaller GGUF model")
        if fault.kind == "load":
            return f"the model at {self.model_path} could not be loaded: give a llama.cpp GGUF file as [local] model_path"
        return f"the local model failed ({fault}): see the log; try [local] n_ctx larger than the prompt"

    # -- internals -------------------------------------------------------------------------

    def _model(self) -> Any:
        if self._llm is None:
            try:
                from llama_cpp import Llama  # noqa: PLC0415 - optional runtime, imported on demand
            except ImportError as e:
                raise ModelFault("load", f"llama-cpp-python is not installed ({e}); run `make setup`",
                                 retryable=False) from None
            _backend_ready(Llama)
            cfg = self.config
            t = time.monotonic()
            try:
                threads = cfg.n_threads or self._cores.cores
                self._llm = Llama(model_path=str(self.model_path), n_ctx=cfg.n_ctx, n_batch=cfg.n_batch,
                                  n_threads=threads, n_threads_batch=threads, verbose=False)
            except Exception as e:
                raise ModelFault("load", f"{type(e).__name__}: {e}", retryable=False) from None
            log.info("local planner: loaded %s in %.1f s", self.model_path.name, time.monotonic() - t)
            self._cores.turn_ended()  # the load was this planner's own work, not other work's
        return self._llm

    def _use_threads(self, llm: Any) -> None:
        """A fixed `n_threads`, or as many threads as there are idle cores now."""
        import llama_cpp  # noqa: PLC0415

        n = self.config.n_threads or self._cores.threads()
        if n != self.last_threads:
            llama_cpp.llama_set_n_threads(llm.ctx, n, n)
            self.last_threads = n

    def _render(self, skills: list[SkillInfo]) -> None:
        key = json.dumps([s.model_dump() for s in skills], sort_keys=True)
        if key == self._rendered_for:
            return
        from llama_cpp import LlamaGrammar  # noqa: PLC0415

        compact = self.config.compact
        self._system = system_prompt(skills, compact=compact)
        schema = compact_turn_schema(skills) if compact else turn_schema(skills, per_skill=True)
        self._grammar = LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False)
        self._ask_only = (LlamaGrammar.from_json_schema(json.dumps(question_only_schema()), verbose=False)
                          if compact else None)
        self._rendered_for = key

    def _prompt(self, inp: PlannerInput) -> Prompt:
        skills = catalogue(inp, self._catalogue)
        try:
            self._render(skills)
        except ImportError:
            pass  # reported as a load fault by the first generate
        return build_prompt(inp, skills, with_images=False, system=self._system)

    def _generate(self, messages: list[dict[str, Any]], feed: Feed, cancel: threading.Event | None = None) -> Reply:
        llm = self._model()
        cfg = self.config
        self._use_threads(llm)
        deadline = time.monotonic() + cfg.timeout_s
        parts: list[str] = []
        stats = Decoded()
        gbnf = self._grammar._grammar if self._grammar is not None else None
        last = messages[-1] if messages else {}
        if self._ask_only is not None and last.get("role") == "user" and ASK_WHICH in str(last.get("content")):
            gbnf = self._ask_only._grammar  # the checks found the last answer acting on a guess: only ask
        try:
            for piece in decode(llm, text_only(messages), gbnf, cfg.max_tokens, stats):
                if cancel is not None and cancel.is_set():
                    raise PlannerCancelled("the planner call was cancelled")
                if time.monotonic() > deadline:
                    raise ModelFault("timeout", f"no complete answer within {cfg.timeout_s:g} s")
                parts.append(piece)
                feed(piece)
        except (ModelFault, PlannerCancelled):
            raise
        except ValueError as e:  # e.g. the prompt is longer than the context
            raise ModelFault("model", str(e), retryable=False) from None
        finally:
            self._cores.turn_ended()
        usage = {"prompt_tokens": stats.prompt_tokens, "completion_tokens": stats.output_tokens,
                 "prompt_tokens_details": {"cached_tokens": stats.cached_tokens}, "threads": self.last_threads}
        return Reply("".join(parts), stats.finish, usage)
