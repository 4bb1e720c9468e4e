"""Configuration of a session, from defaults, an optional TOML file and the command line."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError


def default_home() -> Path:
    """Where sessions, checkpoints and remembered preferences live ($HIROBOT_HOME, else ~/.hirobot)."""
    return Path(os.environ.get("HIROBOT_HOME", Path.home() / ".hirobot"))


class SessionConfig(BaseModel):
    # A misspelt key would otherwise be ignored in silence ("contol_hz = 50" and nothing changes).
    model_config = ConfigDict(extra="forbid")

    planner: Literal["rules", "openai", "transformers"] = "rules"
    perception: Literal["state", "vision"] = "state"
    realtime: bool = Field(default=False, description="pace the simulated world by the wall clock")
    render: bool = Field(default=False, description="render camera images every control tick")
    home: Path = Field(default_factory=default_home)
    user: str = "default"
    control_hz: float | None = Field(default=None, ge=1.0, le=500.0,
                                     description="override every skill's control rate, in Hz (1-500; "
                                                 "each tick must observe, decide and act within 1/rate s)")
    # The [openai] table: any field of agent.planners.openai_backend.OpenAIPlannerConfig
    # (base_url, model, timeout_s, stream, fallback, ...); environment variables fill the rest.
    openai: dict[str, Any] = Field(default_factory=dict)
    transformers_path: Path | None = None


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
    try:
        return SessionConfig.model_validate(data)
    except ValidationError as e:
        where = f" in {candidate}" if candidate.exists() else ""
        raise ValueError(config_problems(e) + where) from None


def config_problems(e: ValidationError) -> str:
    """A validation error as one line: each key and what is wrong with it."""
    parts = []
    for err in e.errors():
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        if err["type"] == "extra_forbidden":
            parts.append(f"unknown key {key!r}")
        else:
            parts.append(f"{key} = {err.get('input')!r}: {err['msg'].lower()}")
    return "; ".join(parts)
