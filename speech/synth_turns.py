"""Text -> 16 kHz mono float32 speech, for tests, the voice evaluation and benchmarks.

Voices are loaded once per `TurnSynth` and results are cached by (voice, text), since
evaluation runs say the same sentences many times.
"""

from __future__ import annotations

import threading

import numpy as np

from .audio import SAMPLE_RATE, to_16k_mono
from .tts import TTS, make_tts


class TurnSynth:
    def __init__(self, default_voice: str = "piper", cache_size: int = 256) -> None:
        self.default_voice = default_voice
        self._voices: dict[str, TTS] = {}
        self._cache: dict[tuple[str, str], np.ndarray] = {}
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def voice(self, name: str | None = None) -> TTS:
        name = name or self.default_voice
        with self._lock:
            if name not in self._voices:
                self._voices[name] = make_tts(name)
            return self._voices[name]

    def synth(self, text: str, voice: str | None = None, lead_s: float = 0.0, tail_s: float = 0.0) -> np.ndarray:
        """`text` spoken by `voice` ('piper', 'espeak:en-us', 'espeak:en-gb', ...) as 16 kHz
        mono float32, with optional silence before and after."""
        name = voice or self.default_voice
        key = (name, text)
        with self._lock:
            pcm = self._cache.get(key)
        if pcm is None:
            raw, rate = self.voice(name).synthesize(text)
            pcm = to_16k_mono(raw, rate)
            with self._lock:
                if len(self._cache) >= self._cache_size:
                    self._cache.pop(next(iter(self._cache)))
                self._cache[key] = pcm
        if lead_s or tail_s:
            z = lambda s: np.zeros(int(s * SAMPLE_RATE), dtype=np.float32)  # noqa: E731
            pcm = np.concatenate([z(lead_s), pcm, z(tail_s)])
        return pcm


def synth_turn(text: str, voice: str = "piper") -> np.ndarray:
    """One-off convenience (loads the voice each call; use TurnSynth for many turns)."""
    return TurnSynth(voice).synth(text)


def last_voiced_end_s(pcm: np.ndarray) -> float:
    """Where the speech of a synthesized turn ends (seconds from its start): the end of its
    last 10 ms above 10 % of the peak energy. Voices pad their files with silence (Pico
    0.5 s, festival 0.2 s), so the file's length is not the end of speech."""
    return first_word_end_s(pcm, gap_s=len(pcm))  # no gap is that long: the last voiced sound


def first_word_end_s(pcm: np.ndarray, gap_s: float = 0.1) -> float:
    """Where the first word group of a synthesized turn ends (seconds from its start):
    the first stretch of >= `gap_s` below 10 % of the peak 10 ms energy after speech. For
    "Stop!" that is the end of "stop"; for "Stop, and then ..." the comma pause. The
    evaluation adds this to `Turn.started_wall` to time "end of the stop word -> arm at
    rest"."""
    hop = SAMPLE_RATE // 100
    f = np.asarray(pcm[: len(pcm) // hop * hop], dtype=np.float64).reshape(-1, hop)
    if len(f) == 0:
        return 0.0
    e = np.sqrt((f**2).mean(axis=1))
    idx = np.flatnonzero(e > 0.1 * e.max())
    if len(idx) == 0:
        return len(pcm) / SAMPLE_RATE
    max_gap = int(round(gap_s * 100))
    last = idx[0]
    for i in idx[1:]:
        if i - last > max_gap:
            break
        last = i
    return (last + 1) * hop / SAMPLE_RATE
