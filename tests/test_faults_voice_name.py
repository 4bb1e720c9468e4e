"""An unknown voice for `eval --voice` is one line listing the voices there are."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from agent.cli import app

runner = CliRunner()


@pytest.mark.parametrize("name", ["nonsense", "espeak:xx-not-a-voice"])
def test_an_unknown_voice_lists_the_voices(tmp_path, monkeypatch, name):
    monkeypatch.setenv("HIROBOT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", "400")
    f = tmp_path / "s.jsonl"
    f.write_text(json.dumps({"id": "a", "scene": {"objects": [{"name": "red cup", "kind": "cup"}]},
                             "turns": [{"say": "put the red cup on the left"}]}) + "\n")
    r = runner.invoke(app, ["eval", str(f), "--voice", "--voice-name", name])
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert r.exit_code == 2
    text = " ".join(r.output.split())
    assert text.startswith("error:") and name in text
    assert "piper:steady" in text and "espeak:en-gb" in text
