"""Fixtures shared across test files. Speech models load once per test run."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def asr():
    from speech.asr import ASRConfig, WhisperASR

    return WhisperASR(ASRConfig(model="tiny.en", cpu_threads=2))


@pytest.fixture(scope="session")
def synth():
    from speech.synth_turns import TurnSynth

    return TurnSynth("piper:steady")
