"""The `openai` planner: any OpenAI-compatible chat completions endpoint: `vllm serve` of a
vision-language model in production, llama.cpp's server (llama-cpp-python's or the upstream
`llama-server`) on a CPU.

One call of `plan()`:
1. renders the prompt (stable system prompt first, this turn last; see `prompting`),
2. asks for an answer in the structured-output mode the server takes (json_schema for vLLM,
   json_object with a schema for llama.cpp, or none; see `turn_schema`), streaming or not;
   the server's kind is read once from GET /models, and a mode or camera frames the server
   rejects are stepped down once and said (see `_step_down`),
3. while streaming, hands each step to `on_step` as soon as it is complete and valid,
4. checks the whole answer (skills, objects, arguments); on a transport fault asks again the
   same way, on a bad answer asks again with the problems appended, at most `max_retries`
   times,
5. then falls back (`fallback`: the rules planner, a request to rephrase, or PlannerError).

Contract with the caller: `on_step` is called exactly once for every step of the returned
turn, in order, before `plan()` returns; nothing else is ever passed to it. Metrics of the
call are in `planner.last_metrics` after `plan()`, or returned by `plan_with_metrics()`.
"""

from __future__ import annotations

import json
import logging
import os
import time
import tomllib
from pathlib import Path
import threading
from typing import Any, Callable, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from agent.planners.attempts import Feed, FallbackSource, ModelFault, Reply, plan_once
from agent.planners.base import Planner, StepCallback
from agent.planners.chat_client import ChatClient, TransportFault
from agent.planners.fallback import FallbackMode
from agent.planners.prompting import Prompt, build_prompt, catalogue, system_prompt
from agent.planners.turn_schema import response_format_for, turn_schema
from agent.schema import PlannerInput, PlannerTurn, SkillInfo
from skills.registry import SkillRegistry, load_registry

log = logging.getLogger(__name__)

API_KEY_ENV = ("HIROBOT_OPENAI_API_KEY", "OPENAI_API_KEY")
CONFIG_ENV = "HIROBOT_OPENAI_CONFIG"
# Environment variables that override a config file (field name -> variable).
FIELD_ENV = {"base_url": "HIROBOT_OPENAI_BASE_URL", "model": "HIROBOT_OPENAI_MODEL"}


ServerKind = Literal["vllm", "llama_cpp", "openai"]
ResponseMode = Literal["json_schema", "json_object", "none"]
# Weaker in this order: a server that rejects one mode is asked with the next. "none" still
# validates the answer after decoding, it only stops constraining the decoder.
MODE_ORDER: tuple[ResponseMode, ...] = ("json_schema", "json_object", "none")


class ServerDefaults(BaseModel):
    response_mode: ResponseMode
    images: bool
    timeout_s: float


# What each kind of server takes, as measured: vLLM serves vision-language models and takes
# json_schema; llama.cpp's servers (llama-cpp-python's and the upstream llama-server) take
# json_object with a "schema", serve text models whose chat templates fail on image parts,
# and run on CPUs where a cold 3.4k-token prompt takes 35-40 s.
SERVER_DEFAULTS: dict[str, ServerDefaults] = {
    "vllm": ServerDefaults(response_mode="json_schema", images=True, timeout_s=20.0),
    "llama_cpp": ServerDefaults(response_mode="json_object", images=False, timeout_s=120.0),
    "openai": ServerDefaults(response_mode="json_schema", images=True, timeout_s=30.0),
}


def server_kind_of(models: list[dict[str, Any]]) -> ServerKind:
    """The kind of server from its /models answer: vLLM says owned_by "vllm", the upstream
    llama-server "llamacpp", llama-cpp-python "me"; anything else is treated as OpenAI's API."""
    owners = {str(m.get("owned_by", "")).lower() for m in models}
    if "vllm" in owners:
        return "vllm"
    if owners & {"llamacpp", "llama.cpp", "me"}:
        return "llama_cpp"
    return "openai"


class OpenAIPlannerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: str = Field(default="http://localhost:8000/v1", description="the server's /v1 root")
    model: str = Field(default="Qwen/Qwen2.5-VL-7B-Instruct",
                       description="model name as the server knows it (a server serving one other model is told its own)")
    api_key: SecretStr | None = Field(default=None, description="default: $HIROBOT_OPENAI_API_KEY, then $OPENAI_API_KEY")
    server: Literal["auto", "vllm", "llama_cpp", "openai"] = Field(
        default="auto", description="the server's kind, for the defaults below; auto: asked from GET /models")
    response_mode: Literal["auto", "json_schema", "json_object", "none"] = Field(
        default="auto", description="structured output: auto is the server kind's default, stepped down if rejected")
    timeout_s: float | None = Field(default=None, gt=0,
                                    description="whole answer, per attempt (default per server kind: vllm 20, llama_cpp 120, openai 30)")
    connect_timeout_s: float = Field(default=3.0, gt=0)
    max_retries: int = Field(default=1, ge=0, description="further attempts after a fault or a rejected answer")
    stream: bool = True
    fallback: FallbackMode = "rules"
    temperature: float = 0.0
    max_tokens: int = Field(default=768, gt=0)
    images: bool | None = Field(default=None, description="send camera frames (needs a vision-language model); "
                                "default per server kind, turned off if the server rejects them")
    schema_per_skill: bool = Field(default=True, description="constrain each step to one skill's argument schema")
    strict_schema: bool = Field(default=False, description="json_schema.strict (OpenAI's own API needs the strict form)")
    extra_body: dict[str, Any] = Field(default_factory=dict, description="server-specific request fields")

    @classmethod
    def load(cls, path: str | Path | None = None, env: dict[str, str] | None = None, **overrides: Any) -> "OpenAIPlannerConfig":
        """Defaults, then a TOML/JSON file (`path` or $HIROBOT_OPENAI_CONFIG; a top-level
        [openai] table is used if present), then environment variables, then `overrides`
        (command-line flags; None values are ignored)."""
        env = dict(os.environ) if env is None else env
        values: dict[str, Any] = {}
        path = path or env.get(CONFIG_ENV)
        if path:
            values.update(_read_config_file(Path(path)))
        for name, var in FIELD_ENV.items():
            if env.get(var):
                values[name] = env[var]
        if values.get("api_key") is None:
            key = next((env[v] for v in API_KEY_ENV if env.get(v)), None)
            if key:
                values["api_key"] = key
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls.model_validate(values)


def _read_config_file(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    if isinstance(data.get("openai"), dict):
        data = data["openai"]
    return dict(data)


def _api_key_from_env() -> SecretStr | None:
    key = next((os.environ[v] for v in API_KEY_ENV if os.environ.get(v)), None)
    return SecretStr(key) if key else None


class OpenAIPlanner:
    name = "openai"

    def __init__(
        self,
        config: OpenAIPlannerConfig | None = None,
        registry: SkillRegistry | None = None,
        *,
        fallback_planner: Planner | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`config` defaults to `OpenAIPlannerConfig.load()` (file and environment). `registry`
        (default: built-ins and plugins) checks every step; its catalogue is what the model is
        told about when the input carries none. `fallback_planner` replaces the lazily imported
        rules planner."""
        self.config = config or OpenAIPlannerConfig.load()
        self.registry = registry if registry is not None else load_registry()
        self._fallback = FallbackSource(self.config.fallback, self.registry, fallback_planner)
        self._clock = clock
        self._transport = transport
        self._client: ChatClient | None = None
        self._catalogue = [SkillInfo.model_validate(e) for e in self.registry.catalogue()]
        # The last catalogue's system prompt and schema: rendered once, reused every turn.
        self._rendered_for: str | None = None
        self._system = ""
        self._schema: dict[str, Any] = {}
        # What the server was found to take; settled on the first call, stepped down on rejection.
        self.server_kind: str | None = None
        self.model = self.config.model
        self.response_mode: ResponseMode = "json_schema"
        self.images = True
        self.timeout_s = self.config.timeout_s or 20.0
        self._pending_notices: list[tuple[str, str]] = []  # (said aloud, logged)
        self._settle_lock = threading.Lock()
        self.last_metrics: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"OpenAIPlanner(base_url={self.config.base_url!r}, model={self.config.model!r})"

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    # -- the planner protocol --------------------------------------------------------------

    def plan(self, inp: PlannerInput, on_step: StepCallback | None = None,
             cancel: threading.Event | None = None) -> PlannerTurn:
        turn, metrics = self.plan_with_metrics(inp, on_step, cancel)
        return turn

    def plan_with_metrics(self, inp: PlannerInput, on_step: StepCallback | None = None,
                          cancel: threading.Event | None = None) -> tuple[PlannerTurn, dict[str, Any]]:
        """`plan()` that also returns this call's metrics (safe when calls overlap)."""
        t0 = self._clock()
        started = time.monotonic()
        self._settle()
        # The answer's deadline covers the whole answer, the server-kind probe included.
        probed_s = time.monotonic() - started
        budget = self.timeout_s - probed_s if probed_s > 0.05 else None
        cfg = self.config
        turn, metrics = plan_once(self, model=self.model, stream=cfg.stream, prompt=self._prompt(inp),
                                  inp=inp, registry=self.registry, on_step=on_step,
                                  generate=lambda messages, feed, cancel=None: self._generate(messages, feed, cancel, budget),
                                  fallback=self._fallback, max_retries=cfg.max_retries, clock=self._clock, t0=t0,
                                  cancel=cancel, advise=self.advice)
        turn = self._with_notices(turn, metrics)
        return turn, metrics

    # -- what the server takes ---------------------------------------------------------------

    def _settle(self) -> None:
        """Once: the server's kind (asked from /models unless configured), and from it the
        defaults of every setting left at auto."""
        with self._settle_lock:
            if self.server_kind is not None:
                return
            cfg = self.config
            kind = cfg.server
            listed: list[dict[str, Any]] = []
            probe = ChatClient(cfg.base_url, api_key=self._api_key(),
                               timeout_s=min(3.0, cfg.connect_timeout_s + 1, cfg.timeout_s or 20.0),
                               transport=self._transport)
            try:
                listed = probe.models(probe.timeout_s)
            finally:
                probe.close()
            if kind == "auto":
                kind = server_kind_of(listed)
            d = SERVER_DEFAULTS[kind]
            self.server_kind = kind
            self.response_mode = d.response_mode if cfg.response_mode == "auto" else cfg.response_mode
            self.images = d.images if cfg.images is None else cfg.images
            self.timeout_s = cfg.timeout_s or d.timeout_s
            ids = [str(m.get("id")) for m in listed if m.get("id")]
            if ids and cfg.model not in ids and len(ids) == 1:
                # A server that serves one model answers to its own name; vLLM rejects any other.
                self.model = ids[0]
                log.info("the server at %s serves only %r; asking for that instead of %r", cfg.base_url, ids[0], cfg.model)
            self._client = ChatClient(cfg.base_url, api_key=self._api_key(), timeout_s=self.timeout_s,
                                      connect_timeout_s=cfg.connect_timeout_s, transport=self._transport)
            log.info("openai planner: server %s (%s), response_mode %s, images %s, timeout %g s",
                     cfg.base_url, kind, self.response_mode, self.images, self.timeout_s)

    def _api_key(self) -> SecretStr | None:
        return self.config.api_key or _api_key_from_env()

    def _step_down(self, fault: TransportFault, sent_images: bool) -> bool:
        """Take one setting down after the server rejected it; True when there is something
        left to try. Judged from what llama.cpp's and vLLM's servers answer: an HTTP 400/422/500
        naming response_format or the schema for a mode they lack; an HTTP 400/500 or a 200 with
        an empty stream for image parts a text model's chat template cannot take."""
        text = str(fault).lower()
        about_format = any(w in text for w in ("response_format", "json_schema", "json_object", "guided", "grammar"))
        if fault.status in (400, 422, 500, 501) and about_format and self.response_mode != "none":
            old = self.response_mode
            self.response_mode = MODE_ORDER[MODE_ORDER.index(old) + 1]
            self._notice(
                "The planning server does not take my answer format; I'm using a simpler one.",
                f"the server at {self.config.base_url} rejected response_format {old!r} ({fault}); using "
                f"{self.response_mode!r} from now on. Set [openai] response_mode = \"{self.response_mode}\" "
                f"to skip this.")
            return True
        if sent_images and (fault.kind == "empty" or fault.status in (400, 415, 422, 500)):
            self.images = False
            self._notice(
                "The planning model cannot look at camera images; I'm planning from the object list.",
                f"the server at {self.config.base_url} failed on camera images ({fault}); sending none from "
                f"now on. Set [openai] images = false, or serve a vision-language model.")
            return True
        return False

    def _notice(self, said: str, logged: str) -> None:
        log.warning("openai planner: %s", logged)
        self._pending_notices.append((said, logged))

    def _with_notices(self, turn: PlannerTurn, metrics: dict[str, Any]) -> PlannerTurn:
        """Each step-down is said aloud once, with the turn it happened in, and kept in metrics."""
        notices, self._pending_notices = self._pending_notices, []
        if not notices:
            return turn
        metrics["notices"] = list(metrics.get("notices") or []) + [logged for _, logged in notices]
        self.last_metrics = metrics
        said = " ".join(s for s, _ in notices)
        return turn.model_copy(update={"say": " ".join(t for t in (said, turn.say) if t)})

    def advice(self, fault: ModelFault) -> str:
        """What the person should change so that this fault does not happen again."""
        url, kind = self.config.base_url, fault.kind
        status = getattr(fault, "status", None)
        if kind == "timeout":
            return (f"the server at {url} did not finish an answer within timeout_s = {self.timeout_s:g} s: raise "
                    f"[openai] timeout_s (a cold 3.4k-token prompt takes 35-40 s on a 2-core CPU), or serve a "
                    f"faster model")
        if kind == "connect":
            return f"nothing answers at {url}: start the server, or set [openai] base_url (--planner-url)"
        if status in (401, 403):
            return "the server refused the request's key: set $HIROBOT_OPENAI_API_KEY (or [openai] api_key)"
        if status == 404:
            return (f"the server has no chat completions at {url} or no model {self.model!r}: the URL must end "
                    f"in /v1, and [openai] model must be one that GET {url}/models lists")
        if kind == "rate_limited":
            return "the server is rate limiting: raise [openai] max_retries or lower the load on it"
        if kind == "empty":
            return ("the server sent an empty answer: look at its log; a text model's chat template fails on "
                    "camera images (set [openai] images = false)")
        if kind == "protocol":
            return f"the server at {url} does not speak OpenAI chat completions: check [openai] base_url"
        return (f"the server rejected the request ({str(fault)[:160]}): look at the server's log; if it "
                f"names response_format, set [openai] response_mode = \"json_object\" or \"none\"")

    # -- internals -------------------------------------------------------------------------

    def _prompt(self, inp: PlannerInput) -> Prompt:
        skills = catalogue(inp, self._catalogue)
        key = json.dumps([s.model_dump() for s in skills], sort_keys=True)
        if key != self._rendered_for:
            self._system = system_prompt(skills)
            self._schema = turn_schema(skills, per_skill=self.config.schema_per_skill, strict=self.config.strict_schema)
            self._rendered_for = key
        # A step-down during this call also strips the frames from its later requests (`_body`).
        return build_prompt(inp, skills, with_images=self.images, system=self._system)

    def _body(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
        cfg = self.config
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages if self.images else text_only(messages),
            "temperature": cfg.temperature,
            "max_tokens": cfg.max_tokens,
            "stream": cfg.stream,
        }
        fmt = response_format_for(self.response_mode, self._schema, strict=cfg.strict_schema)
        if fmt is not None:
            body["response_format"] = fmt
        if cfg.stream:
            body["stream_options"] = {"include_usage": True}
        body.update(cfg.extra_body)
        return body

    def _generate(self, messages: list[dict[str, Any]], feed: Feed, cancel: threading.Event | None = None,
                  budget_s: float | None = None) -> Reply:
        assert self._client is not None
        while True:
            body = self._body(messages)
            sent_images = has_images(body["messages"])
            fed = [False]

            def feed_once(piece: str) -> None:
                fed[0] = fed[0] or bool(piece)
                feed(piece)

            try:
                return self._send(body, feed_once, cancel, budget_s)
            except TransportFault as fault:
                # Only before anything arrived: a step-down re-sends the whole request.
                if fed[0] or not self._step_down(fault, sent_images):
                    raise

    def _send(self, body: dict[str, Any], feed: Feed, cancel: threading.Event | None,
              budget_s: float | None = None) -> Reply:
        assert self._client is not None
        if not self.config.stream:
            done = self._client.complete(body, cancel, budget_s)
            feed(done.content)
            return Reply(done.content, done.finish_reason, done.usage)
        parts: list[str] = []
        finish: str | None = None
        usage: dict[str, Any] | None = None
        for delta in self._client.stream(body, cancel, budget_s):
            usage = delta.usage or usage
            finish = delta.finish_reason or finish
            if delta.content:
                parts.append(delta.content)
                feed(delta.content)
        return Reply("".join(parts), finish, usage)


def has_images(messages: list[dict[str, Any]]) -> bool:
    return any(isinstance(m.get("content"), list) and any(p.get("type") == "image_url" for p in m["content"])
               for m in messages)


def text_only(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The messages with image parts dropped and content as a plain string: text models' chat
    templates (Qwen2.5's among them) take only strings."""
    out = []
    for m in messages:
        c = m.get("content")
        if isinstance(c, list):
            c = "\n".join(p.get("text", "") for p in c if isinstance(p, dict) and p.get("type") == "text")
        out.append({**m, "content": c})
    return out
