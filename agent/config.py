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


def config_path(path: str | Path | None = None) -> Path:
    """The config file a command reads: the one given, else $HIROBOT_HOME/config.toml."""
    return Path(path) if path else default_home() / "config.toml"


class Limits(BaseModel):
    """What one planner turn and one session may hold. Anything over a limit is refused with a
    message that names it; raise a limit in the config file's [limits] table."""

    model_config = ConfigDict(extra="forbid")

    steps_per_turn: int = Field(default=50, ge=1, description="steps one turn may plan")
    say_chars: int = Field(default=1000, ge=1, description="length of what the robot says in one turn")
    question_chars: int = Field(default=300, ge=1, description="length of a clarifying question")
    questions_per_job: int = Field(default=5, ge=0, description="clarifying questions asked about one request")
    notes_per_turn: int = Field(default=5, ge=0, description="notes one turn may add")
    note_chars: int = Field(default=200, ge=1, description="length of one note")
    notes_per_session: int = Field(default=100, ge=0, description="notes one session may hold")
    checkpoint_mb: float = Field(default=64.0, gt=0, description="saved state of one session on disk")


class SessionConfig(BaseModel):
    # A misspelt key would otherwise be ignored in silence ("contol_hz = 50" and nothing changes).
    model_config = ConfigDict(extra="forbid")

    # hybrid: the rules parser first, a model for what it hands over (see agent/planners/hybrid.py).
    planner: Literal["hybrid", "rules", "openai", "local", "transformers"] = "hybrid"
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
    # The [local] table: any field of agent.planners.local_backend.LocalPlannerConfig
    # (model_path, n_ctx, n_threads, max_tokens, timeout_s, fallback, ...).
    local: dict[str, Any] = Field(default_factory=dict)
    # The [transformers] table: any field of agent.planners.transformers_backend.TransformersPlannerConfig.
    transformers: dict[str, Any] = Field(default_factory=dict)
    # Which model the hybrid planner hands over to ($HIROBOT_HYBRID_MODEL overrides).
    hybrid_model: Literal["local", "openai", "transformers", "none"] = "local"
    limits: Limits = Field(default_factory=Limits)
    # The [policies] table: name -> {checkpoint | endpoint | plugin, ...}; see skills/policies/catalog.py.
    # The planner chooses among these names only.
    policies: dict[str, dict[str, Any]] = Field(default_factory=dict)
    policy_device: str | None = Field(default=None, description="auto | cpu | cuda | cuda:N | mps for local policies")
    # The [speech] table: any field of speech.pipeline.PipelineConfig, nested tables included
    # ([speech.endpoint] end_silence_s = 0.8 for a slow speaker, [speech.asr] model = "tiny.en").
    speech: dict[str, Any] = Field(default_factory=dict)
    # The [robot] table for --robot: port, id, cameras = {front = {type = "opencv", index_or_path = 0, ...}}, and
    # any other field of the LeRobot robot's config.
    robot: dict[str, Any] = Field(default_factory=dict)


class ConfigError(ValueError):
    """A configuration that cannot be used: one line naming the file, the setting and the fix."""


def load_config(path: str | Path | None = None, **overrides: object) -> SessionConfig:
    """Defaults, then the TOML file (if any: the given path, else $HIROBOT_HOME/config.toml),
    then explicit overrides that are not None."""
    data: dict = {}
    candidate = config_path(path)
    if path and not candidate.exists():
        raise ConfigError(f"{candidate}: no such config file")
    if candidate.is_dir():
        raise ConfigError(f"{candidate}: is a folder, not a config file: give the path of the TOML file itself")
    if candidate.exists():
        try:
            data = tomllib.loads(candidate.read_bytes().decode("utf-8"))
        except UnicodeDecodeError:
            raise ConfigError(f"{candidate}: not UTF-8 text: save the config file as UTF-8 TOML") from None
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"{candidate}: not valid TOML ({e}): fix that line") from None
        except OSError as e:
            raise ConfigError(f"{candidate}: cannot be read ({e.strerror or e}): check its permissions") from None
    for k, v in overrides.items():
        if v is not None:
            data[k] = v
    try:
        return SessionConfig.model_validate(data)
    except ValidationError as e:
        raise ConfigError(f"{candidate}: {validation_summary(e)}: fix or remove those settings") from None


def speech_settings(config: SessionConfig, asr_model: str | None = None, source: str | Path = "the config"):
    """The speech pipeline's settings: the [speech] table, then `asr_model` (the command line's
    --asr-model) over its recognition model. A wrong setting is a ConfigError naming it."""
    from speech.pipeline import PipelineConfig

    try:
        cfg = PipelineConfig.model_validate(config.speech)
    except ValidationError as e:
        raise ConfigError(f"{source}: [speech] {validation_summary(e)}: fix or remove those settings") from None
    if asr_model:
        cfg = cfg.model_copy(update={"asr": cfg.asr.model_copy(update={"model": asr_model})})
    return cfg


def check_openai_settings(config: SessionConfig, source: str | Path) -> None:
    """The [openai] table checked now, as a ConfigError, rather than when the planner is built."""
    if config.planner != "openai" and not config.openai:
        return
    from agent.planners.openai_backend import OpenAIPlannerConfig

    try:
        OpenAIPlannerConfig.load(**config.openai)
    except ValidationError as e:
        raise ConfigError(f"{source}: [openai] {validation_summary(e)}: fix or remove those settings") from None


def validation_summary(e: ValidationError) -> str:
    """Each problem on one line: where, what is wrong, and what was given."""
    out = []
    for err in e.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(top)"
        if err["type"] == "extra_forbidden":  # a misspelt or retired key
            out.append(f"{where}: unknown setting")
            continue
        given = err.get("input")
        shown = f" (got {given!r})" if isinstance(given, (str, int, float, bool)) and err["type"] != "missing" else ""
        out.append(f"{where}: {err['msg']}{shown}")
    return "; ".join(out)
