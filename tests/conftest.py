"""Fixtures shared across test files. Speech models load once per test run."""

from __future__ import annotations

import importlib.util

import pytest

# The tests against the real LeRobot run in .venv-lerobot (Python 3.12, `make test` builds it);
# where LeRobot is not installed they are not collected (their imports need it).
if importlib.util.find_spec("lerobot") is None:
    collect_ignore_glob = ["test_policy_lerobot_*.py"]


@pytest.fixture(scope="session")
def asr():
    from speech.asr import ASRConfig, WhisperASR

    return WhisperASR(ASRConfig(model="tiny.en", cpu_threads=2))


@pytest.fixture(scope="session")
def synth():
    from speech.synth_turns import TurnSynth

    return TurnSynth("piper:steady")


# The hybrid planner (the default) hands over to a model on what the rules parser does not
# understand. Tests that are not about that hand-over get the rules parser's own answers, not a
# 1 GB model's; tests about it pass their model explicitly.
import os as _os  # noqa: E402

_os.environ.setdefault("HIROBOT_HYBRID_MODEL", "none")


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A fresh $HIROBOT_HOME for a CLI test, and a console wide enough not to wrap its lines."""
    monkeypatch.setenv("HIROBOT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", "200")
    return tmp_path / "home"
