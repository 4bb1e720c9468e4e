"""Policies by name, as configuration states them: the only policies a planner can choose.

A planner's step says `policy = "<name>"`; the name must be one of these. Where a policy's
weights live or which server it runs on is written here by the person who set up the robot,
never by the planner, so nothing a planner (or a voice that reaches it) says can point the
arm at an arbitrary server or file.

In the TOML configuration (`$HIROBOT_HOME/config.toml` or `--config`):

    [policies.act-so101]                  # a LeRobot checkpoint folder
    checkpoint = "/models/act_so101_pick"
    device = "auto"                       # auto (CUDA when present) | cpu | cuda | cuda:1 | mps
    cameras = { laptop = "front", phone = "wrist" }   # policy camera -> robot camera

    [policies.pi05-droid]                 # an openpi policy server
    endpoint = "ws://gpu-box:8000"
    api_key_env = "PI_SERVER_KEY"         # the key is read from this environment variable
    keys = "droid"                        # droid | aloha | libero | hirobot (see keymaps.py)
    action_horizon = 15                   # used when the server's metadata does not say
    action_dim = 8
    rate_hz = 15

`learned-place` (shipped with hirobot) is always there unless configuration redefines it;
`hirobot.policies` entry points are added under their own names.
"""

from __future__ import annotations

import os
import threading
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Callable

from pydantic import BaseModel, ConfigDict, Field, model_validator

from skills.policies.base import Policy, PolicyError
from skills.policies.keymaps import KeyMap, keymap

ENTRY_POINT_GROUP = "hirobot.policies"
WEIGHTS_DIR = Path(__file__).with_name("weights")
# name -> checkpoint folder under skills/policies/weights/
BUILTIN_POLICIES: dict[str, str] = {"learned-place": "learned_place"}


class PolicyEntry(BaseModel):
    """One configured policy: a checkpoint folder or a policy server, and how to talk to it."""

    model_config = ConfigDict(extra="forbid")

    checkpoint: Path | None = Field(None, description="a checkpoint folder (LeRobot or hirobot)")
    endpoint: str | None = Field(None, description="ws:// or wss:// address of an openpi-protocol policy server")
    plugin: str | None = Field(None, description="a `hirobot.policies` entry point name")
    description: str = ""
    device: str | None = Field(None, description="auto | cpu | cuda | cuda:N | mps (checkpoints only)")
    cameras: dict[str, str] = Field(default_factory=dict, description="policy camera name -> robot camera name")
    api_key_env: str | None = Field(None, description="environment variable holding the server's API key")
    keys: KeyMap | str = Field("hirobot", description="observation keys the server expects: a preset name "
                               "(hirobot, droid, aloha, libero) or a key map")
    action_horizon: int | None = Field(None, ge=1)
    action_dim: int | None = Field(None, ge=1)
    rate_hz: float | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _one_source(self) -> "PolicyEntry":
        given = [k for k in ("checkpoint", "endpoint", "plugin") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("a policy needs exactly one of checkpoint, endpoint or plugin"
                             + (f" (got {', '.join(given)})" if given else ""))
        if self.endpoint is not None and not self.endpoint.startswith(("ws://", "wss://")):
            raise ValueError(f"endpoint {self.endpoint!r} is not a ws:// or wss:// address")
        keymap(self.keys)  # an unknown preset is a configuration error, not a failed step later
        return self


def builtin_entries() -> dict[str, PolicyEntry]:
    out = {name: PolicyEntry(checkpoint=WEIGHTS_DIR / folder, description="shipped with hirobot")
           for name, folder in BUILTIN_POLICIES.items()}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        out.setdefault(ep.name, PolicyEntry(plugin=ep.name, description="plugin"))
    return out


class PolicyCatalog:
    """The configured policies, and the ones loaded so far (a model is loaded once per process).

    One catalogue per session; `load` is safe from several threads."""

    def __init__(self, entries: dict[str, PolicyEntry] | None = None, *, device: str | None = None,
                 api_keys: dict[str, str] | None = None) -> None:
        self.entries: dict[str, PolicyEntry] = {**builtin_entries(), **(entries or {})}
        self.device = device  # the default for checkpoints that do not name one
        self._api_keys = dict(api_keys or {})
        self._loaded: dict[str, Policy] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, table: dict[str, Any] | None, **kw: Any) -> "PolicyCatalog":
        """From the `[policies]` table of the configuration; a bad entry is a ValueError naming it."""
        entries: dict[str, PolicyEntry] = {}
        for name, spec in (table or {}).items():
            try:
                entries[name] = spec if isinstance(spec, PolicyEntry) else PolicyEntry.model_validate(spec)
            except Exception as e:
                raise ValueError(f"policy {name!r} in the configuration: {e}") from None
        return cls(entries, **kw)

    def names(self) -> list[str]:
        return sorted(self.entries)

    def __contains__(self, name: object) -> bool:
        return name in self.entries

    def unknown(self, name: str) -> PolicyError:
        return PolicyError(f"unknown policy {name!r}; configured policies: {', '.join(self.names()) or '(none)'}")

    def load(self, name: str) -> Policy:
        entry = self.entries.get(name)
        if entry is None:
            raise self.unknown(name)
        with self._lock:
            if name not in self._loaded:
                self._loaded[name] = self._make(name, entry)
            return self._loaded[name]

    def _make(self, name: str, entry: PolicyEntry) -> Policy:
        if entry.endpoint is not None:
            from skills.policies.remote import RemotePolicy

            key = self._api_keys.get(name) or (os.environ.get(entry.api_key_env) if entry.api_key_env else None) \
                or os.environ.get("HIROBOT_POLICY_API_KEY")
            return RemotePolicy(entry.endpoint, api_key=key, name=name, keys=entry.keys,
                                fallback=entry.model_dump(include={"action_horizon", "action_dim", "rate_hz"},
                                                          exclude_none=True))
        if entry.plugin is not None:
            return _plugin(entry.plugin)
        from skills.policies.lerobot_policy import load_checkpoint

        assert entry.checkpoint is not None
        if not (entry.checkpoint / "config.json").exists():
            hint = "; train them with `hirobot train`" if name in BUILTIN_POLICIES else ""
            raise PolicyError(f"policy {name!r} has no checkpoint at {entry.checkpoint}{hint}")
        kw: dict[str, Any] = {"name": name}
        if entry.cameras:
            kw["cameras"] = entry.cameras
        if entry.rate_hz:
            kw["rate_hz"] = entry.rate_hz
        return load_checkpoint(entry.checkpoint, device=entry.device or self.device, **kw)

    def forget(self, name: str | None = None) -> None:
        """Drop loaded policies (after retraining)."""
        with self._lock:
            for key in [k for k in self._loaded if name is None or k == name]:
                self._loaded.pop(key).close()


def _plugin(name: str) -> Policy:
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == name:
            try:
                factory: Callable[[], Policy] = ep.load()
                return factory()
            except Exception as e:
                raise PolicyError(f"policy plugin {name!r} could not be loaded: {type(e).__name__}: {e}") from e
    raise PolicyError(f"no installed package provides the policy plugin {name!r}")
