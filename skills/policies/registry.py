"""Policies by name: what `PolicyArgs.policy` may say.

    a name in ctx.extras["policies"]       an instance the session made (tests, a shared client)
    ws://host:port  (or wss://)            a policy server; key from extras["policy_api_key"]
                                           or the HIROBOT_POLICY_API_KEY environment variable
    a folder with config.json              a LeRobot-format checkpoint
    a name of BUILTIN_POLICIES             checkpoints shipped with hirobot
    a `hirobot.policies` entry point       a plugin: a callable returning a Policy

Loaded policies are kept (a model is loaded once per process, not once per step).
"""

from __future__ import annotations

import os
import threading
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from skills.policies.base import Policy, PolicyError

ENTRY_POINT_GROUP = "hirobot.policies"
WEIGHTS_DIR = Path(__file__).with_name("weights")
# name -> checkpoint folder under skills/policies/weights/
BUILTIN_POLICIES: dict[str, str] = {"learned-place": "learned_place"}

_cache: dict[str, Policy] = {}
_lock = threading.Lock()


def builtin_checkpoint(name: str) -> Path:
    return WEIGHTS_DIR / BUILTIN_POLICIES[name]


def resolve_policy(name: str, extras: dict[str, Any] | None = None) -> Policy:
    extras = extras or {}
    given = extras.get("policies") or {}
    if name in given:
        return given[name]
    if name.startswith(("ws://", "wss://")):
        from skills.policies.remote import RemotePolicy

        key = extras.get("policy_api_key") or os.environ.get("HIROBOT_POLICY_API_KEY")
        with _lock:  # one connection per server, kept across steps (it reconnects by itself)
            cache_key = f"{name}\n{key or ''}"
            if cache_key not in _cache:
                _cache[cache_key] = RemotePolicy(name, api_key=key)
            return _cache[cache_key]
    with _lock:
        if name in _cache:
            return _cache[name]
        policy = _load(name)
        _cache[name] = policy
        return policy


def _load(name: str) -> Policy:
    from skills.policies.lerobot_policy import load_checkpoint

    if name in BUILTIN_POLICIES:
        path = builtin_checkpoint(name)
        if not (path / "config.json").exists():
            raise PolicyError(f"policy {name!r} has no weights at {path}; train them with `hirobot train`")
        return load_checkpoint(path)
    if (Path(name) / "config.json").exists():
        return load_checkpoint(Path(name))
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == name:
            try:
                return ep.load()()
            except Exception as e:
                raise PolicyError(f"policy plugin {name!r} could not be loaded: {type(e).__name__}: {e}") from e
    known = sorted(BUILTIN_POLICIES) + sorted(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))
    raise PolicyError(f"unknown policy {name!r}: not a checkpoint folder, not a ws:// address, and not one of "
                      f"{', '.join(known) or '(none)'}")


def forget(name: str | None = None) -> None:
    """Drop cached policies (after retraining)."""
    with _lock:
        for key in [k for k in _cache if name is None or k == name or k.startswith(name + "\n")]:
            _cache.pop(key).close()
