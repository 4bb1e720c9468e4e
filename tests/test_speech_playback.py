"""The robot's voice: synthesis, barge-in, and not transcribing itself.

The robot's speech is played through a LoopbackSink into the scripted "microphone",
as a loudspeaker near a microphone would be heard. The echo gate needs the person to be
clearly louder at the microphone than the robot's echo (the documented trade-off of
gating instead of echo cancellation): here the echo is at gain 0.15 and the person
(espeak-ng, a quieter voice than Piper's normalized output) at gain 1.0, about 9 dB apart
at their peaks. The own-voice test uses a louder echo (0.3): the louder the echo, the
harder it is to be mistaken for a person.
"""

from __future__ import annotations

import re

import shutil
import threading
import time

import numpy as np
import pytest

pytest.importorskip("faster_whisper")
pytest.importorskip("silero_vad")
pytestmark = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="needs espeak-ng (apt-get install espeak-ng)"
)
pytest.importorskip("piper")

from speech.audio import SAMPLE_RATE  # noqa: E402
from speech.pipeline import PipelineConfig, SpeechPipeline  # noqa: E402
from speech.playback import EchoGate, LoopbackSink, Player, Speaker, WavFileSink  # noqa: E402
from speech.sources import ScriptedSource  # noqa: E402
from tests.speech_support import norm  # noqa: E402
from speech.tts import EspeakTTS, PiperTTS  # noqa: E402
from speech.vad import SileroVAD  # noqa: E402

ROBOT_LINE = "I will put the red cup in the bin, and then I will put the blue block on the tray for you."




def test_piper_and_espeak_synthesize():
    pcm, rate = PiperTTS().synthesize("Hello there.")
    assert rate == 22050 and 0.3 < len(pcm) / rate < 3 and np.abs(pcm).max() > 0.1
    pcm, rate = EspeakTTS("en-gb").synthesize("Hello there.")
    assert rate > 8000 and len(pcm) / rate > 0.3


def test_wav_sink_when_no_output_device(tmp_path, synth):
    sink = WavFileSink(tmp_path)
    player = Player(sink)
    pcm = synth.synth("Done.")
    player.play(pcm, SAMPLE_RATE, "Done.")
    assert sink.files and sink.files[0].exists() and player.playing()


def _voice_session(asr, source, echo_gain=0.15, gate_kwargs=None):
    player = Player(LoopbackSink(source, gain=echo_gain), clock=lambda: source.position)
    gate = EchoGate(player, **(gate_kwargs or {}))
    events, reflexes = [], []
    p = SpeechPipeline(
        source, on_utterance=events.append, on_reflex=reflexes.append, asr=asr, spotter=asr, vad=SileroVAD(),
        gates=[gate], config=PipelineConfig(lockstep=True, partials=False),
    )
    return player, gate, p, events, reflexes


def _run_until(source: ScriptedSource, p: SpeechPipeline, t_end: float, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while source.position < t_end and time.monotonic() < deadline and not p.stats.errors:
        time.sleep(0.01)
    source.close()
    assert p.wait_done(30)
    p.stop()
    assert not p.stats.errors, p.stats.errors


def test_robot_does_not_transcribe_its_own_voice(asr, synth):
    source = ScriptedSource([], speed=0, keep_open=True)
    player, gate, p, events, reflexes = _voice_session(asr, source, echo_gain=0.3)
    pb = player.play(synth.synth(ROBOT_LINE), SAMPLE_RATE, ROBOT_LINE)
    p.start()
    _run_until(source, p, pb.end + 1.0)
    assert [e.text for e in events if e.final] == [] and reflexes == []
    assert not pb.interrupted and gate.barge_ins == 0 and gate.held_frames > 100


def test_barge_in_stops_playback_and_hears_the_person(asr, synth):
    person_pcm = synth.synth("Wait, put the green block in the bowl.", "espeak:en-us")
    # the person starts 1.5 s into the robot's sentence
    source = ScriptedSource([person_pcm], lead_s=1.5, speed=0, keep_open=True)
    player, gate, p, events, reflexes = _voice_session(asr, source)
    pb = player.play(synth.synth(ROBOT_LINE), SAMPLE_RATE, ROBOT_LINE)
    p.start()
    person = source.scripted_turns[0]
    _run_until(source, p, 1.5 + person.duration + 1.5)
    assert pb.interrupted and pb.stop_reason == "barge-in"
    # stopped within 0.4 s of the person starting to talk (audio clock)
    assert 0 <= pb.stopped_at - person.started_at < 0.4, (pb.stopped_at, person.started_at)
    assert gate.barge_ins == 1
    finals = [norm(e.text) for e in events if e.final]
    assert any("green block" in f for f in finals), finals
    assert [r.command for r in reflexes] == ["pause"]


def test_speaker_queue_and_interrupt(synth):
    source = ScriptedSource([], speed=0, keep_open=True)
    player = Player(LoopbackSink(source, gain=0.3), clock=lambda: source.position)

    class FastTTS:
        name = "test"

        def synthesize(self, text):
            return synth.synth(text), SAMPLE_RATE

    speaker = Speaker(FastTTS(), player)
    speaker.say("One.")
    speaker.say("Two.")
    assert not speaker.idle
    chunks = source.chunks()

    def pump(until, seconds=20.0):
        deadline = time.monotonic() + seconds
        while not until() and time.monotonic() < deadline:
            next(chunks)  # advance the audio clock by one chunk
            time.sleep(0.002)

    pump(lambda: speaker.idle)
    assert speaker.wait_idle(1)
    assert [pb.text for pb in player.history] == ["One.", "Two."]
    assert not any(pb.interrupted for pb in player.history)
    speaker.say("A long sentence that will be cut off before it ends, I promise.")
    pump(lambda: len(player.history) == 3)
    pump(lambda: False, seconds=0.1)
    speaker.interrupt()
    assert speaker.wait_idle(5)
    assert player.history[-1].interrupted
    speaker.close()
    source.close()


def test_voice_io_scripted_session(asr):
    """The integrator's entry point: a scripted session with the robot's voice looped back."""
    from agent.events import Reflex, Spoken, Utterance
    from speech.voice import VoiceIO

    events = []
    # Real time, as a microphone would deliver it: faster than real time, the robot's
    # playback clock and the looped-back audio could drift apart under load, and a gate
    # reading its reference at the wrong moment let the tail of its own voice through.
    voice = VoiceIO.scripted(events.append, speed=1.0, vocabulary=["red cup", "bin"],
                             config=PipelineConfig(lockstep=True, partials=False),
                             pipeline_kwargs={"asr": asr, "spotter": asr})
    voice.start()
    try:
        turn = voice.say_as_person("Put the red cup in the bin.", voice="piper:steady")
        assert turn.wait(20)
        deadline = time.monotonic() + 20
        while not any(isinstance(e, Utterance) and e.final for e in events) and time.monotonic() < deadline:
            time.sleep(0.02)
        voice.on_event(Spoken(text="Putting the red cup in the bin."))
        assert voice.wait_robot_idle(30)
        stop = voice.say_as_person("Stop!", voice="piper:steady")
        assert stop.wait(20)
        deadline = time.monotonic() + 20
        while not any(isinstance(e, Reflex) for e in events) and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        voice.stop()
    finals = [norm(e.text) for e in events if isinstance(e, Utterance) and e.final]
    # what matters here is whose words were heard; "red" is sometimes written "right" by the
    # small model these tests use, which the accuracy benchmark counts, not this test
    assert re.fullmatch(r"put the (red|right) cup in the bin", finals[0]), events
    assert not any("putting" in f for f in finals), events  # its own voice was not transcribed
    assert [e.command for e in events if isinstance(e, Reflex)] == ["stop"], events


def test_the_robot_does_not_start_talking_until_it_may_take_the_floor(tmp_path):
    """`before_speaking` holds each utterance back (the voice session waits until the person
    has been quiet for 0.8 s): what the robot said over them would be lost to the echo gate."""
    player = Player(WavFileSink(tmp_path))

    class SilentTTS:
        name = "test"

        def synthesize(self, text):
            return np.zeros(1600, np.float32), SAMPLE_RATE

    floor = threading.Event()
    speaker = Speaker(SilentTTS(), player, before_speaking=lambda: floor.wait(10))
    speaker.say("Okay, I'll do that.")
    time.sleep(0.3)
    assert list(player.history) == [] and not speaker.idle, "spoke while the person was still talking"
    floor.set()
    assert speaker.wait_idle(5)
    assert [pb.text for pb in player.history] == ["Okay, I'll do that."]
    speaker.close()


def test_quiet_means_no_voice_and_nothing_being_read_for_the_whole_pause():
    from speech.voice import wait_until_quiet

    class Pipeline:
        in_speech = True
        transcribing = False

    p = Pipeline()
    threading.Timer(0.3, lambda: setattr(p, "in_speech", False)).start()
    t0 = time.monotonic()
    wait_until_quiet(p, 0.2)
    assert 0.45 <= time.monotonic() - t0 < 2.0  # 0.3 s of talk, then 0.2 s of quiet
    t0 = time.monotonic()
    wait_until_quiet(p, 5.0, arrived=lambda: True)
    assert time.monotonic() - t0 < 0.5, "what was waited for arrived"
