"""Public scenarios spoken, not typed: synthesized turns through the real speech pipeline
(voice activity, end of turn, recognition, reflexes) into a real-time session. A sample that
covers each way a turn lands: idle, asked, moving (a halt and a correction), and a
perturbation. `hirobot eval --voice` runs them all."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("faster_whisper")
pytest.importorskip("piper")

from agent.config import SessionConfig
from agent.evaluate_voice import SpeechKit, run_scenario_voice
from sim.scenario import load_scenarios

PUBLIC = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "public.jsonl"
SAMPLE = ("put-001", "ask-001", "stop-001", "coach-002", "cue-001")


@pytest.fixture(scope="module")
def kit():
    return SpeechKit(voice="piper:steady").load()


def _cases():
    if not PUBLIC.exists():
        return [pytest.param(None, marks=pytest.mark.skip(reason="public scenarios are not here"))]
    return [pytest.param(sc, id=sc.id) for sc in load_scenarios(PUBLIC) if sc.id in SAMPLE]


@pytest.mark.parametrize("scenario", _cases())
def test_public_scenario_spoken(scenario, kit, tmp_path):
    r = run_scenario_voice(scenario, SessionConfig(home=tmp_path), kit)
    assert r.success, f"{scenario.id}: {'; '.join(r.problems)}; heard {r.transcripts}"
    assert r.transcripts and all(t["heard"] for t in r.transcripts), r.transcripts
    assert r.final_transcript_s, "end of speech to final transcript was measured"
    if scenario.expect.halted:
        assert r.stop_to_rest_s is not None
