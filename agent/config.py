"""Configuration of a session, from defaults, an optional TOML file and the command line."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field


def default_home() -> Path:
    """Where sessions, checkpoints and remembered preferences live ($HIROBOT_HOME, else ~/.hirobot)."""
    return Path(os.environ.get("HIROBOT_HOME", Path.home() / ".hirobot"))


class SessionConfig(BaseModel):
    # hybrid: the rules parser first, a model for what it hands over (see agent/planners/hybrid.py).
    planner: Literal["hybrid", "rules", "openai", "local", "transformers"] = "hybrid"
    perception: Literal["state", "vision"] = "state"
    realtime: bool = Field(default=False, description="pace the simulated world by the wall clock")
    render: bool = Field(default=False, description="render camera images every control tick")
    home: Path = Field(default_factory=default_home)
    user: str = "default"
    control_hz: float | None = Field(default=None, description="override every skill's control rate")
    # The [openai] table: any field of agent.planners.openai_backend.OpenAIPlannerConfig
    # (base_url, model, timeout_s, stream, fallback, ...); environment variables fill the rest.
    openai: dict[str, Any] = Field(default_factory=dict)
    transformers_path: Path | None = None
    # The [local] table: any field of agent.planners.local_backend.LocalPlannerConfig
    # (model_path, n_ctx, n_threads, max_tokens, timeout_s, fallback, ...).
    local: dict[str, Any] = Field(default_factory=dict)
    # The [transformers] table: any field of agent.planners.transformers_backend.TransformersPlannerConfig.
    transformers: dict[str, Any] = Field(default_factory=dict)
    # Which model the hybrid planner hands over to ($HIROBOT_HYBRID_MODEL overrides).
    hybrid_model: Literal["local", "openai", "transformers", "none"] = "local"


def load_config(path: str | Path | None = None, **overrides: object) -> SessionConfig:
    """Defaults, then the TOML file (if any: the given path, else $HIROBOT_HOME/config.toml),
    then explicit overrides that are not None."""
    data: dict = {}
    candidate = Path(path) if path else default_home() / "config.toml"
    if path and not candidate.exists():
        raise FileNotFoundError(f"config file {candidate} does not exist")
    if candidate.exists():
        with open(candidate, "rb") as f:
            data = tomllib.load(f)
    for k, v in overrides.items():
        if v is not None:
            data[k] = v
    return SessionConfig.model_validate(data)
