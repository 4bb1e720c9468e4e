"""`hirobot memory forget` forgets whole preferences, by id or exact text; a blank, a fragment
or a character that only looks like a digit never forgets them all."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.memory import MemoryStore

runner = CliRunner()
PREFS = ["cups go on the tray", "cans belong in the basket", "leave the plate where it is"]


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("HIROBOT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", "200")
    store = MemoryStore(tmp_path / "home" / "memory.sqlite")
    for p in PREFS:
        store.add("default", p)
    store.close()
    return tmp_path / "home"


def _left(home):
    store = MemoryStore(home / "memory.sqlite")
    try:
        return [m.text for m in store.list("default")]
    finally:
        store.close()


@pytest.mark.parametrize("what", ["", " ", "e", "the", "²", "١", "cups"])
def test_a_blank_a_fragment_or_a_lookalike_digit_forgets_nothing(home, what):
    r = runner.invoke(app, ["memory", "forget", what])
    assert r.exit_code in (1, 2), r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert _left(home) == PREFS
    assert "error" in r.output


def test_a_fragment_asks_which_preference_was_meant(home):
    r = runner.invoke(app, ["memory", "forget", "cans"])
    assert "which one" in r.output and "cans belong in the basket" in r.output
    assert _left(home) == PREFS


def test_whole_preferences_go_by_id_exact_text_or_all(home):
    assert runner.invoke(app, ["memory", "forget", "2"]).exit_code == 0
    assert _left(home) == [PREFS[0], PREFS[2]]
    assert runner.invoke(app, ["memory", "forget", "Cups go on  the tray"]).exit_code == 0
    assert _left(home) == [PREFS[2]]
    assert runner.invoke(app, ["memory", "forget", "all"]).exit_code == 0
    assert _left(home) == []
