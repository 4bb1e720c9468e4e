"""The `openai` planner: any OpenAI-compatible chat completions endpoint, first of all
`vllm serve` of a vision-language model.

One call of `plan()`:
1. renders the prompt (stable system prompt first, this turn last; see `prompting`),
2. asks for a `response_format` json_schema answer (see `turn_schema`), streaming or not,
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

import threading
import json
import logging
import os
import time
import tomllib
from pathlib import Path
from typing import Any, Callable

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from agent.planners.attempts import Feed, FallbackSource, Reply, plan_once
from agent.planners.base import Planner, StepCallback
from agent.planners.chat_client import ChatClient
from agent.planners.fallback import FallbackMode
from agent.planners.prompting import Prompt, build_prompt, catalogue, system_prompt
from agent.planners.turn_schema import response_format, turn_schema
from agent.schema import PlannerInput, PlannerTurn, SkillInfo
from skills.registry import SkillRegistry, load_registry

log = logging.getLogger(__name__)

API_KEY_ENV = ("HIROBOT_OPENAI_API_KEY", "OPENAI_API_KEY")
CONFIG_ENV = "HIROBOT_OPENAI_CONFIG"
# Environment variables that override a config file (field name -> variable).
FIELD_ENV = {"base_url": "HIROBOT_OPENAI_BASE_URL", "model": "HIROBOT_OPENAI_MODEL"}


class OpenAIPlannerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: str = Field(default="http://localhost:8000/v1", description="the server's /v1 root")
    model: str = Field(default="Qwen/Qwen2.5-VL-7B-Instruct", description="model name as the server knows it")
    api_key: SecretStr | None = Field(default=None, description="default: $HIROBOT_OPENAI_API_KEY, then $OPENAI_API_KEY")
    timeout_s: float = Field(default=20.0, gt=0, description="whole reply, per attempt")
    connect_timeout_s: float = Field(default=3.0, gt=0)
    max_retries: int = Field(default=1, ge=0, description="further attempts after a fault or a rejected answer")
    stream: bool = True
    fallback: FallbackMode = "rules"
    temperature: float = 0.0
    max_tokens: int = Field(default=768, gt=0)
    images: bool = Field(default=True, description="send camera frames (needs a vision-language model)")
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
        api_key = self.config.api_key or _api_key_from_env()
        self._client = ChatClient(
            self.config.base_url,
            api_key=api_key,
            timeout_s=self.config.timeout_s,
            connect_timeout_s=self.config.connect_timeout_s,
            transport=transport,
        )
        self._catalogue = [SkillInfo.model_validate(e) for e in self.registry.catalogue()]
        # The last catalogue's system prompt and schema: rendered once, reused every turn.
        self._rendered_for: str | None = None
        self._system = ""
        self._format: dict[str, Any] = {}
        self.last_metrics: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"OpenAIPlanner(base_url={self.config.base_url!r}, model={self.config.model!r})"

    def close(self) -> None:
        self._client.close()

    # -- the planner protocol --------------------------------------------------------------

    def plan(self, inp: PlannerInput, on_step: StepCallback | None = None,
             cancel: threading.Event | None = None) -> PlannerTurn:
        turn, metrics = self.plan_with_metrics(inp, on_step)
        return turn

    def plan_with_metrics(self, inp: PlannerInput, on_step: StepCallback | None = None) -> tuple[PlannerTurn, dict[str, Any]]:
        """`plan()` that also returns this call's metrics (safe when calls overlap)."""
        t0 = self._clock()
        cfg = self.config
        turn, metrics = plan_once(self, model=cfg.model, stream=cfg.stream, prompt=self._prompt(inp),
                                  inp=inp, registry=self.registry, on_step=on_step, generate=self._generate,
                                  fallback=self._fallback, max_retries=cfg.max_retries, clock=self._clock, t0=t0)
        return turn, metrics

    # -- internals -------------------------------------------------------------------------

    def _prompt(self, inp: PlannerInput) -> Prompt:
        skills = catalogue(inp, self._catalogue)
        key = json.dumps([s.model_dump() for s in skills], sort_keys=True)
        if key != self._rendered_for:
            self._system = system_prompt(skills)
            schema = turn_schema(skills, per_skill=self.config.schema_per_skill, strict=self.config.strict_schema)
            self._format = response_format(schema, strict=self.config.strict_schema)
            self._rendered_for = key
        return build_prompt(inp, skills, with_images=self.config.images, system=self._system)

    def _body(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
        cfg = self.config
        body: dict[str, Any] = {
            "model": cfg.model,
            "messages": messages,
            "temperature": cfg.temperature,
            "max_tokens": cfg.max_tokens,
            "response_format": self._format,
            "stream": cfg.stream,
        }
        if cfg.stream:
            body["stream_options"] = {"include_usage": True}
        body.update(cfg.extra_body)
        return body

    def _generate(self, messages: list[dict[str, Any]], feed: Feed) -> Reply:
        body = self._body(messages)
        if not self.config.stream:
            done = self._client.complete(body)
            feed(done.content)
            return Reply(done.content, done.finish_reason, done.usage)
        parts: list[str] = []
        finish: str | None = None
        usage: dict[str, Any] | None = None
        for delta in self._client.stream(body):
            usage = delta.usage or usage
            finish = delta.finish_reason or finish
            if delta.content:
                parts.append(delta.content)
                feed(delta.content)
        return Reply("".join(parts), finish, usage)
