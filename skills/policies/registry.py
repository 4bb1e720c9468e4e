"""Which Policy a step's `policy` name means.

    a name in ctx.extras["policies"]       an instance the program made (tests, a shared client)
    a name in ctx.extras["policy_catalog"] a configured policy (see catalog.py): a checkpoint
                                           folder, a policy server, or a plugin
    otherwise                              the shipped and plugin policies (`default_catalog`)

A name is only ever looked up: a step cannot give an address or a path (PolicyArgs refuses
them), and an unknown name is a PolicyError listing the names there are.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from skills.policies.base import Policy, PolicyError
from skills.policies.catalog import BUILTIN_POLICIES, WEIGHTS_DIR, PolicyCatalog

__all__ = ["BUILTIN_POLICIES", "builtin_checkpoint", "default_catalog", "resolve_policy", "load_source", "forget"]

_default: PolicyCatalog | None = None
_default_lock = threading.Lock()


def builtin_checkpoint(name: str) -> Path:
    return WEIGHTS_DIR / BUILTIN_POLICIES[name]


def default_catalog() -> PolicyCatalog:
    """The shipped and plugin policies, loaded once per process, for callers without a session."""
    global _default
    with _default_lock:
        if _default is None:
            _default = PolicyCatalog()
        return _default


def resolve_policy(name: str, extras: dict[str, Any] | None = None) -> Policy:
    extras = extras or {}
    given = extras.get("policies") or {}
    if name in given:
        return given[name]
    catalog: PolicyCatalog = extras.get("policy_catalog") or default_catalog()
    if name not in catalog:
        known = sorted(set(catalog.names()) | set(given))
        raise PolicyError(f"unknown policy {name!r}; configured policies: {', '.join(known) or '(none)'}")
    return catalog.load(name)


def load_source(source: str, device: str | None = None, catalog: PolicyCatalog | None = None) -> Policy:
    """What an operator names on the command line (`hirobot serve-policy SOURCE`): a configured
    or shipped policy name, or a checkpoint folder. Never reachable from a planner."""
    catalog = catalog or PolicyCatalog(device=device)
    if source in catalog:
        return catalog.load(source)
    if (Path(source) / "config.json").exists():
        from skills.policies.lerobot_policy import load_checkpoint

        return load_checkpoint(Path(source), device=device)
    raise PolicyError(f"{source!r} is neither a checkpoint folder nor one of the policies "
                      f"{', '.join(catalog.names())}")


def forget(name: str | None = None) -> None:
    """Drop loaded shipped policies (after retraining)."""
    default_catalog().forget(name)
