"""Audio primitives shared by every stage: the chunk type, mono/16 kHz conversion and a
streaming resampler.

Everything downstream of a source sees 16 kHz mono float32 in [-1, 1] and timestamps on
the *audio clock* (seconds of audio since the source started), so segment times do not
drift with scheduling jitter.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

SAMPLE_RATE = 16000


@dataclass(frozen=True)
class AudioChunk:
    """A piece of 16 kHz mono float32 audio.

    `t` is the audio-clock time of the first sample; `wall` is `time.monotonic()` when the
    chunk became available to the pipeline (used for latency: end of speech -> transcript).
    """

    samples: np.ndarray
    t: float
    wall: float = field(default_factory=time.monotonic)

    @property
    def duration(self) -> float:
        return len(self.samples) / SAMPLE_RATE

    @property
    def end(self) -> float:
        return self.t + self.duration


def _ratio(src_rate: int, dst_rate: int) -> tuple[int, int]:
    g = math.gcd(int(src_rate), int(dst_rate))
    return int(dst_rate) // g, int(src_rate) // g


def clipped_fraction(x: np.ndarray, level: float = 0.99) -> float:
    """Share of samples at or beyond `level` of full scale: how overdriven a microphone was."""
    a = np.asarray(x)
    return float(np.mean(np.abs(a) >= level)) if len(a) else 0.0


def to_mono(data: np.ndarray) -> np.ndarray:
    """Average channels: (frames, channels) -> (frames,). Averaging, not picking channel 0,
    keeps a voice that is panned to one side."""
    a = np.asarray(data)
    if a.ndim == 2:
        a = a.mean(axis=1) if a.shape[1] > 1 else a[:, 0]
    return a


def to_float32(data: np.ndarray) -> np.ndarray:
    a = np.asarray(data)
    if a.dtype == np.int16:
        return (a.astype(np.float32) / 32768.0)
    if a.dtype == np.int32:
        return (a.astype(np.float32) / 2147483648.0)
    if a.dtype == np.uint8:
        return (a.astype(np.float32) - 128.0) / 128.0
    return a.astype(np.float32, copy=False)


def resample(pcm: np.ndarray, src_rate: int, dst_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Whole-signal polyphase resampling (anti-aliased)."""
    if int(src_rate) == int(dst_rate):
        return np.asarray(pcm, dtype=np.float32)
    from scipy.signal import resample_poly

    up, down = _ratio(src_rate, dst_rate)
    return resample_poly(np.asarray(pcm, dtype=np.float32), up, down).astype(np.float32)


def to_16k_mono(data: np.ndarray, rate: int) -> np.ndarray:
    """Any dtype, any channel count, any rate -> 16 kHz mono float32 clipped to [-1, 1]."""
    a = to_float32(to_mono(data))
    a = resample(a, rate, SAMPLE_RATE)
    return np.clip(a, -1.0, 1.0).astype(np.float32, copy=False)


class StreamResampler:
    """Resamples a stream block by block without seams.

    Each block is resampled together with enough input on both sides that the polyphase
    filter sees real neighbours instead of zeros; the output therefore lags the input by
    the filter's half length (a few ms), which is the price of no clicks at block edges.
    """

    def __init__(self, src_rate: int, dst_rate: int = SAMPLE_RATE) -> None:
        self.up, self.down = _ratio(src_rate, dst_rate)
        self.identity = self.up == self.down
        # resample_poly's default filter has 10*max(up, down) taps per side in the
        # upsampled domain; in input samples that is this many (plus slack).
        self.margin = int(math.ceil(10 * max(self.up, self.down) / self.up)) + 2
        self._buf = np.zeros(0, dtype=np.float32)
        self._buf_start = 0  # input index of _buf[0]; always a multiple of self.down
        self._next_out = 0  # global index of the next output sample to emit

    def process(self, block: np.ndarray) -> np.ndarray:
        block = np.asarray(block, dtype=np.float32)
        if self.identity:
            return block
        from scipy.signal import resample_poly

        self._buf = np.concatenate([self._buf, block])
        usable_in = self._buf_start + len(self._buf) - self.margin  # inputs with full right context
        last_out = (usable_in * self.up) // self.down  # exclusive
        if last_out <= self._next_out:
            return np.zeros(0, dtype=np.float32)
        y = resample_poly(self._buf, self.up, self.down)
        base = (self._buf_start // self.down) * self.up
        out = y[self._next_out - base : last_out - base].astype(np.float32)
        self._next_out = last_out
        # Keep `margin` inputs of left context before the next output's position.
        keep_from = (self._next_out * self.down) // self.up - self.margin
        keep_from = max(self._buf_start, (keep_from // self.down) * self.down)
        self._buf = self._buf[keep_from - self._buf_start :]
        self._buf_start = keep_from
        return out


def rms(x: np.ndarray) -> float:
    if len(x) == 0:
        return 0.0
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))
