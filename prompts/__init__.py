"""Planner prompt templates and worked examples, shipped as package data.

`render(name, **ctx)` renders `prompts/<name>.j2`; `examples()` loads the worked examples
from `prompts/examples/*.json`. `VERSION` is bumped by hand when the wording changes in a way
that matters; `digest()` fingerprints the files themselves, so a planner call's metrics say
exactly which prompt produced a plan even when someone forgot to bump the version.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from importlib import resources
from typing import Any

import jinja2

VERSION = "planner-2"

_PACKAGE = "prompts"


def _files() -> list[resources.abc.Traversable]:
    root = resources.files(_PACKAGE)
    found = [p for p in root.iterdir() if p.name.endswith(".j2")]
    examples = root / "examples"
    if examples.is_dir():
        found += [p for p in examples.iterdir() if p.name.endswith(".json")]
    return sorted(found, key=lambda p: p.name)


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    # StrictUndefined: a template that names a missing variable is a bug, not an empty string.
    env = jinja2.Environment(
        loader=jinja2.PackageLoader(_PACKAGE, "."),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        autoescape=False,
    )
    env.filters["tojson_compact"] = lambda v: json.dumps(v, separators=(", ", ": "), ensure_ascii=False)
    return env


def render(name: str, **ctx: Any) -> str:
    """Render `prompts/<name>.j2` with `ctx`."""
    return _environment().get_template(f"{name}.j2").render(**ctx).strip() + "\n"


@lru_cache(maxsize=1)
def _examples() -> tuple[dict[str, Any], ...]:
    root = resources.files(_PACKAGE) / "examples"
    items = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(root.iterdir(), key=lambda p: p.name)
             if p.name.endswith(".json")]
    return tuple(items)


def examples() -> list[dict[str, Any]]:
    """The worked examples, in file-name order (a fresh list of the parsed JSON objects)."""
    return [json.loads(json.dumps(e)) for e in _examples()]


@lru_cache(maxsize=1)
def digest() -> str:
    """A short hash of every template and example file."""
    h = hashlib.sha256()
    for p in _files():
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:10]


def version() -> str:
    """What a planner call records as its prompt version: the declared version and the digest."""
    return f"{VERSION}+{digest()}"
