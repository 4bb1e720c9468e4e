"""A broken plugin is reported once when it is loaded and skipped; the built-in skills keep
working for `hirobot skills` and `hirobot do`."""

from __future__ import annotations

import json
from typing import Callable, Literal
from types import SimpleNamespace

import pytest
from pydantic import BaseModel
from typer.testing import CliRunner

import skills.registry as registry_module
from agent.cli import app
from skills.api import Skill

runner = CliRunner()


class _Args(BaseModel):
    object: str


def _skill(**attrs):
    base = {"name": "bad", "description": "a broken plugin", "Args": _Args, "rate_hz": 20.0,
            "run": lambda self, args, ctx: iter(())}
    return type("Plugin", (Skill,), {**base, **attrs})


class _NoSchema(BaseModel):
    fn: Callable  # pydantic validates a callable but cannot write a JSON schema for it


BROKEN = {
    "args_is_a_dict": _skill(name="dict_args", Args={"object": "str"}),
    "no_json_schema": _skill(name="no_schema", Args=_NoSchema),
    "name_is_none": _skill(name=None),
    "rate_is_zero": _skill(name="zero_rate", rate_hz=0),
    "name_is_a_phrase": _skill(name="rm -rf; place"),
}


class _EntryPoint:
    def __init__(self, name, obj):
        self.name = name
        self._obj = obj
        self.dist = SimpleNamespace(name="evil-plugins")

    def load(self):
        return self._obj


@pytest.fixture
def broken_plugins(monkeypatch, tmp_path):
    monkeypatch.setenv("HIROBOT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", "200")
    eps = [_EntryPoint(k, v) for k, v in BROKEN.items()]
    monkeypatch.setattr(registry_module, "entry_points", lambda group: eps)


def test_broken_plugins_are_reported_and_skipped(broken_plugins):
    reg = registry_module.load_registry()
    assert {"place", "put_back", "home"} <= set(reg.names())
    assert not {"dict_args", "no_schema", "zero_rate", None} & set(reg.names())
    assert len(reg.problems) == len(BROKEN)
    for key in BROKEN:
        assert sum(key in p for p in reg.problems) == 1, (key, reg.problems)
    json.dumps(reg.catalogue())


def test_skills_lists_the_built_ins_and_warns_about_each_broken_plugin(broken_plugins):
    r = runner.invoke(app, ["skills"])
    assert r.exit_code == 0, repr(r.exception)
    assert "place" in r.output and r.output.count("warning") == len(BROKEN)
    r = runner.invoke(app, ["skills", "--json"])
    assert r.exit_code == 0, repr(r.exception)


def test_do_still_works_with_the_rules_planner(broken_plugins, tmp_path):
    scene = tmp_path / "scene.json"
    scene.write_text(json.dumps({"objects": [{"name": "red cup", "kind": "cup", "color": "red"},
                                             {"name": "bin", "kind": "bin", "at": "right"}], "seed": 1}))
    r = runner.invoke(app, ["do", "put the red cup in the bin", "--scene", str(scene)])
    assert r.exit_code == 0, (r.output, repr(r.exception))


def test_the_catalogue_is_built_once_and_follows_a_skill_replaced_in_place():
    reg = registry_module.SkillRegistry()
    first = _skill(name="probe")
    reg.add(first, origin="test")
    calls = []
    real = first.catalogue_entry.__func__

    def counting(cls):
        calls.append(cls)
        return real(cls)

    first.catalogue_entry = classmethod(counting)
    for _ in range(3):
        reg.catalogue()
    assert calls == [], "the entry made when the skill was added is reused"

    class Narrower(BaseModel):
        object: Literal["red cup"]

    reg.skills["probe"] = _skill(name="probe", Args=Narrower)  # a configured variant, as policies do
    (entry,) = reg.catalogue()
    assert entry["args"]["properties"]["object"].get("const") == "red cup" or \
        entry["args"]["properties"]["object"].get("enum") == ["red cup"]
