"""A sound heard while the arm works changes what it does: glass breaking or a scream stops
the arm and the plan, an alarm pauses it and asks. The sound is mixed into the same audio stream the
speech pipeline listens to, while a skill runs."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

pytest.importorskip("faster_whisper")
pytest.importorskip("onnxruntime")

from agent import events as ev
from agent.config import SessionConfig
from agent.eventlog import read_events
from agent.session import Session
from agent.voice import VoiceLink, sound_tap
from perception import soundsynth
from sim.scenario import ObjectSpec, SceneSpec
from speech.pipeline import SpeechPipeline
from speech.sources import ScriptedSource

SCENE = SceneSpec(seed=16, objects=[ObjectSpec(name="red cup", kind="cup", color="red"),
                                    ObjectSpec(name="bin", kind="bin", at="right")])


def _run_with_sound(tmp_path, sound: np.ndarray):
    s = Session(SCENE, SessionConfig(home=tmp_path, realtime=True))
    link = VoiceLink(s)
    source = ScriptedSource(keep_open=True, speed=1.0)
    tap = sound_tap(s)
    pipeline = SpeechPipeline(source, on_utterance=link.on_utterance, on_reflex=link.on_reflex, gates=[tap]).start()
    box: dict = {}
    job = threading.Thread(target=lambda: box.setdefault("r", s.say("Put the red cup in the bin.")))
    try:
        job.start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            h = s.executor.current
            if h is not None and h.motion_started_at is not None and time.perf_counter() - h.motion_started_at > 1.0:
                break
            time.sleep(0.02)
        box["handle"] = s.executor.current
        source.say(sound, label="sound")
        job.join(60)
    finally:
        pipeline.stop()
        tap.stop()
        s.close()
    return s, box


def test_glass_breaking_stops_the_arm_and_the_plan(tmp_path):
    # Seed 0 is heard as breaking glass at every offset against the stream's 0.48 s windows
    # (measured at 40 offsets); seed 1 was missed at one in twelve, which real time can hit.
    s, box = _run_with_sound(tmp_path, soundsynth.glass(np.random.default_rng(0)))
    r = box["r"]
    cues = [e for e in read_events(s.dir / "events.jsonl") if isinstance(e, ev.Cue) and e.source == "sound"]
    assert cues and cues[0].kind == "glass_breaking" and "stopped" in cues[0].action
    assert cues[0].detail["confidence"] > 0
    assert r.outcome == "stopped" and r.steps[0]["status"] == "cancelled"
    assert box["handle"].rest_at is not None, "the arm came to rest"


def test_a_scream_stops_the_arm_and_the_plan(tmp_path):
    # A synthesized scream (seed 20 is heard as "Screaming" wherever the stream's windows fall).
    s, box = _run_with_sound(tmp_path, soundsynth.scream(np.random.default_rng(20)))
    r = box["r"]
    cues = [e for e in read_events(s.dir / "events.jsonl") if isinstance(e, ev.Cue) and e.source == "sound"]
    assert cues and cues[0].kind == "scream" and cues[0].severity == "critical" and "stopped" in cues[0].action
    assert r.outcome == "stopped" and r.steps[0]["status"] == "cancelled"
    assert box["handle"].rest_at is not None, "the arm came to rest"


def test_an_alarm_pauses_the_arm_and_asks(tmp_path):
    s, box = _run_with_sound(tmp_path, soundsynth.alarm(np.random.default_rng(2)))
    events = list(read_events(s.dir / "events.jsonl"))
    cues = [e for e in events if isinstance(e, ev.Cue) and e.source == "sound"]
    assert cues and cues[0].kind == "alarm" and "paused" in cues[0].action
    assert any(isinstance(e, ev.Spoken) and "alarm" in e.text.lower() and "?" in e.text for e in events)
    assert box["handle"].paused, "the step waits, paused, for the person"
