"""A simulated room between the talker and the robot's microphone, seeded and reproducible.

What a person's words go through before they reach the recognizer:

1. reverberation: an image-source room impulse response (pyroomacoustics `ShoeBox`) for a
   room of 3-7 x 3-6 x 2.5-3.2 m with RT60 0.2-0.6 s, the talker 0.7-2.5 m from the mic;
2. the talker's level: each turn is brought to a reference speech level, +-4 dB;
3. noise, present all the time (between turns too, as in a real room), at a given SNR
   against that reference level: pink noise, music (Debian asterisk-moh-opsound-wav),
   ambient loops (sonic-pi-samples), keyboard clicks (bucklespring-data), or babble made
   from several synthesized voices in the same room;
4. a cheap microphone: a 120 Hz - 7 kHz band-pass, a gain of 0-12 dB and hard clipping at
   full scale.

Everything random is drawn from `numpy.random.default_rng` seeded with (seed, a stable
hash of the key): the same preset, seed and key give the same samples on every run.

Presets: `clean` (nothing), `reverb` (1, 2, 4), `reverb+20db` and `reverb+10db` (all four).
"""

from __future__ import annotations

import functools
import glob
import logging
import zlib
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, Field

from .audio import SAMPLE_RATE, to_16k_mono

log = logging.getLogger(__name__)

NOISE_KINDS = ("pink", "music", "ambient", "keyboard", "babble")
# Reference active-speech RMS at the microphone before its gain (-26 dBFS, ITU P.56's usual level).
SPEECH_RMS = 10 ** (-26 / 20)

MUSIC_FILES = "/usr/share/asterisk/moh/*.wav"
AMBIENT_FILES = "/usr/share/sonic-pi/samples/ambi_*.flac"
KEYBOARD_FILES = "/usr/share/buckle/wav/*.wav"
_DEBIAN_PACKAGE = {"music": "asterisk-moh-opsound-wav", "ambient": "sonic-pi-samples", "keyboard": "bucklespring-data"}
_FILES = {"music": MUSIC_FILES, "ambient": AMBIENT_FILES, "keyboard": KEYBOARD_FILES}

# Talk that has nothing to do with the robot, for babble.
BABBLE_LINES = (
    "I think the meeting moved to Thursday afternoon.",
    "Did you see the game last night? It went to overtime.",
    "We should order more paper for the printer downstairs.",
    "My sister is visiting next week with the kids.",
    "The train was late again this morning, twenty minutes.",
    "Can you send me the slides after lunch?",
    "It is supposed to rain all weekend, unfortunately.",
    "The new coffee machine makes a terrible noise.",
    "I finished the report, but the numbers look strange.",
    "Let's try the Italian place around the corner.",
    "He said the parking garage closes at eight tonight.",
    "Honestly the second season was better than the first.",
)
BABBLE_VOICES = ("flite:kal16", "flite:awb", "flite:rms", "flite:slt", "nanotts:en-US", "nanotts:en-GB")


class RoomPreset(BaseModel):
    reverb: bool = False
    rt60_s: tuple[float, float] = (0.2, 0.6)
    distance_m: tuple[float, float] = (0.7, 2.5)
    snr_db: float | None = None
    noise_kinds: tuple[str, ...] = NOISE_KINDS
    talker_gain_db: float = Field(4.0, description="each turn's level varies by +- this")
    mic: bool = False
    band_hz: tuple[float, float] = (120.0, 7000.0)
    mic_gain_db: tuple[float, float] = (0.0, 12.0)


PRESETS: dict[str, RoomPreset] = {
    "clean": RoomPreset(),
    "reverb": RoomPreset(reverb=True, mic=True),
    "reverb+20db": RoomPreset(reverb=True, mic=True, snr_db=20.0),
    "reverb+10db": RoomPreset(reverb=True, mic=True, snr_db=10.0),
}


def preset(name: str) -> RoomPreset:
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown room {name!r}: use one of {', '.join(PRESETS)}") from None


def _rng(seed: int, *key: object) -> np.random.Generator:
    h = zlib.crc32("\x1f".join(map(str, key)).encode())
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, h])


def active_rms(pcm: np.ndarray) -> float:
    """RMS over the 20 ms frames within 40 dB of the loudest: the level of the speech, not of
    the pauses around it."""
    n = SAMPLE_RATE // 50
    f = np.asarray(pcm[: len(pcm) // n * n], np.float64).reshape(-1, n)
    if len(f) == 0:
        return 0.0
    e = (f**2).mean(axis=1)
    keep = e >= e.max() * 1e-4
    return float(np.sqrt(e[keep].mean())) if keep.any() else 0.0


def pink_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / SAMPLE_RATE)
    spec[1:] /= np.sqrt(f[1:])
    spec[0] = 0
    x = np.fft.irfft(spec, n)
    return (x / (np.sqrt((x**2).mean()) + 1e-12)).astype(np.float32)


@functools.lru_cache(maxsize=32)
def _load_16k(path: str) -> np.ndarray:
    from .sources import read_audio_file

    data, rate = read_audio_file(path)
    return to_16k_mono(data, rate)


def _files(kind: str) -> list[str]:
    found = sorted(glob.glob(_FILES[kind]))
    if not found:
        pkg = _DEBIAN_PACKAGE[kind]
        raise FileNotFoundError(f"{kind} noise needs the Debian package {pkg}: apt-get install {pkg}")
    return found


def _unit(x: np.ndarray) -> np.ndarray:
    r = np.sqrt((np.asarray(x, np.float64) ** 2).mean())
    return (x / r).astype(np.float32) if r > 0 else x.astype(np.float32)


def _loop(x: np.ndarray, n: int, start: int) -> np.ndarray:
    reps = int(np.ceil((n + start) / max(1, len(x)))) + 1
    return np.tile(x, reps)[start : start + n]


@dataclass
class _Geometry:
    dims: np.ndarray
    rt60: float
    mic: np.ndarray


class Room:
    """One simulated room for one seed. `speech(pcm, key)` is a turn as it arrives at the
    microphone (before the mic's own gain/band/clip), `noise(seconds, key)` the room's
    background at the preset's SNR, `mic()` a fresh microphone for a stream."""

    def __init__(self, name: str = "clean", seed: int = 0) -> None:
        self.name = name
        self.preset = preset(name)
        self.seed = int(seed)
        rng = _rng(self.seed, "room")
        dims = np.array([rng.uniform(3, 7), rng.uniform(3, 6), rng.uniform(2.5, 3.2)])
        mic = np.array([rng.uniform(0.8, dims[0] - 0.8), rng.uniform(0.8, dims[1] - 0.8), rng.uniform(0.8, 1.2)])
        self.geometry = _Geometry(dims, float(rng.uniform(*self.preset.rt60_s)), mic)
        self.mic_gain_db = float(rng.uniform(*self.preset.mic_gain_db))
        self._rirs: dict[int, np.ndarray] = {}

    @property
    def is_clean(self) -> bool:
        return not (self.preset.reverb or self.preset.mic or self.preset.snr_db is not None)

    def describe(self) -> str:
        if self.is_clean:
            return "clean (no room)"
        g, p = self.geometry, self.preset
        noise = f", noise at {p.snr_db:g} dB SNR" if p.snr_db is not None else ""
        return (f"{self.name} seed {self.seed}: {g.dims[0]:.1f} x {g.dims[1]:.1f} x {g.dims[2]:.1f} m, "
                f"RT60 {g.rt60:.2f} s, talker {p.distance_m[0]:g}-{p.distance_m[1]:g} m{noise}, "
                f"mic gain {self.mic_gain_db:+.1f} dB")

    # -- reverberation --------------------------------------------------------------------
    def rir(self, position: int) -> np.ndarray:
        """The impulse response from talker position `position` (0-3) to the mic, starting
        at the direct sound (so a turn's timing is not shifted)."""
        if position not in self._rirs:
            import pyroomacoustics as pra

            g = self.geometry
            rng = _rng(self.seed, "talker", position)
            for _ in range(100):
                d = rng.uniform(*self.preset.distance_m)
                az = rng.uniform(0, 2 * np.pi)
                src = g.mic + np.array([d * np.cos(az), d * np.sin(az), rng.uniform(0.2, 0.6)])
                if np.all(src > 0.3) and np.all(src < g.dims - 0.3):
                    break
            else:  # a small room: put the talker at the nearest distance toward the centre
                toward = (g.dims / 2 - g.mic) / np.linalg.norm(g.dims / 2 - g.mic)
                src = g.mic + toward * self.preset.distance_m[0]
            absorption, order = pra.inverse_sabine(g.rt60, g.dims.tolist())
            room = pra.ShoeBox(g.dims.tolist(), fs=SAMPLE_RATE, materials=pra.Material(absorption),
                               max_order=int(order))
            room.add_source(src.tolist())
            room.add_microphone(g.mic.tolist())
            room.compute_rir()
            h = np.asarray(room.rir[0][0], np.float64)
            start = max(0, int(np.argmax(np.abs(h))) - 8)
            h = h[start:]
            self._rirs[position] = (h / np.abs(h).max()).astype(np.float32)
        return self._rirs[position]

    def speech(self, pcm: np.ndarray, key: object = "") -> np.ndarray:
        """A dry turn as the microphone hears it: reverberated from one of four talker
        positions and brought to the reference level (+- the talker's variation)."""
        pcm = np.asarray(pcm, np.float32)
        if self.is_clean:
            return pcm
        rng = _rng(self.seed, "turn", key)
        out = pcm
        if self.preset.reverb:
            from scipy.signal import fftconvolve

            out = fftconvolve(pcm, self.rir(int(rng.integers(0, 4))))[: len(pcm) + int(0.4 * SAMPLE_RATE)]
        level = active_rms(out)
        if level <= 0:
            return out.astype(np.float32)
        gain = SPEECH_RMS * 10 ** (rng.uniform(-1, 1) * self.preset.talker_gain_db / 20) / level
        return (out * gain).astype(np.float32)

    # -- noise ----------------------------------------------------------------------------
    def noise_kind(self, key: object = "") -> str:
        return str(_rng(self.seed, "noise-kind", key).choice(list(self.preset.noise_kinds)))

    def noise(self, seconds: float, key: object = "", kind: str | None = None) -> np.ndarray:
        """`seconds` of the room's background at the preset's SNR (silence without one)."""
        n = int(seconds * SAMPLE_RATE)
        if self.preset.snr_db is None:
            return np.zeros(n, np.float32)
        kind = kind or self.noise_kind(key)
        rng = _rng(self.seed, "noise", kind, key)
        x = _unit(self._noise_source(kind, n, rng))
        return (x * SPEECH_RMS / 10 ** (self.preset.snr_db / 20)).astype(np.float32)

    def noise_bed(self, seconds: float, key: object = "", segment_s: float = 12.0) -> tuple[np.ndarray, list[str]]:
        """A long background that changes kind every `segment_s` (every kind of the preset in
        a seeded order, repeated), with 0.5 s cross-fades; and the kind of each segment."""
        n_seg = max(1, int(np.ceil(seconds / segment_s)))
        order = list(self.preset.noise_kinds)
        _rng(self.seed, "bed-order", key).shuffle(order)
        kinds = [order[i % len(order)] for i in range(n_seg)]
        seg_n, fade = int(segment_s * SAMPLE_RATE), int(0.5 * SAMPLE_RATE)
        out = np.zeros(n_seg * seg_n + fade, np.float32)
        ramp = np.linspace(0, 1, fade, dtype=np.float32)
        for i, kind in enumerate(kinds):
            x = self.noise(segment_s + 0.5, key=(key, i), kind=kind)
            x[:fade] *= ramp
            x[-fade:] *= ramp[::-1]
            out[i * seg_n : i * seg_n + len(x)] += x
        return out[: n_seg * seg_n], kinds

    def _noise_source(self, kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
        if kind == "pink":
            return pink_noise(n, rng)
        if kind in ("music", "ambient"):
            files = _files(kind)
            parts, have = [], 0
            while have < n:  # ambient loops are short: chain several
                x = _load_16k(files[int(rng.integers(len(files)))])
                start = int(rng.integers(0, max(1, len(x) - SAMPLE_RATE)))
                take = x[start : start + n - have]
                parts.append(_unit(take) if len(take) else take)
                have += len(take)
            return np.concatenate(parts)[:n]
        if kind == "keyboard":
            clicks = [_load_16k(f) for f in _files("keyboard")]
            out = np.zeros(n + SAMPLE_RATE, np.float32)
            t = 0
            while t < n:
                # typing in bursts: ~7 keys a second, pauses of up to 1.5 s
                t += int(SAMPLE_RATE * (rng.exponential(0.14) if rng.random() > 0.05 else rng.uniform(0.5, 1.5)))
                c = clicks[int(rng.integers(len(clicks)))] * rng.uniform(0.5, 1.0)
                if t >= n:
                    break
                out[t : t + len(c)] += c[: len(out) - t]
            return out[:n]
        if kind == "babble":
            return self._babble(n, rng)
        raise ValueError(f"unknown noise {kind!r}: use one of {', '.join(NOISE_KINDS)}")

    def _babble(self, n: int, rng: np.random.Generator, talkers: int = 5) -> np.ndarray:
        from scipy.signal import fftconvolve

        synth = _babble_synth()
        out = np.zeros(n, np.float32)
        for k in range(talkers):
            voice = BABBLE_VOICES[(k + int(rng.integers(len(BABBLE_VOICES)))) % len(BABBLE_VOICES)]
            line = []
            have = 0
            while have < n:
                pcm = synth.synth(BABBLE_LINES[int(rng.integers(len(BABBLE_LINES)))], voice)
                pcm = _unit(pcm) * (10 ** (rng.uniform(-4, 4) / 20))
                gap = np.zeros(int(rng.uniform(0.1, 0.8) * SAMPLE_RATE), np.float32)
                line += [pcm, gap]
                have += len(pcm) + len(gap)
            x = np.concatenate(line)
            x = np.roll(x, int(rng.integers(len(x))))[:n]
            if self.preset.reverb:
                x = fftconvolve(x, self.rir(int(rng.integers(0, 4))))[:n]
            out += _unit(x)
        return out

    # -- the microphone ---------------------------------------------------------------------
    def mic(self) -> "Microphone":
        return Microphone(self.preset, self.mic_gain_db)

    def render(self, pcm: np.ndarray, key: object = "", lead_s: float = 0.5, tail_s: float = 1.0) -> np.ndarray:
        """One turn in the room, with `lead_s` / `tail_s` of room noise around it, through the
        microphone: what a recording of that turn would hold."""
        sp = self.speech(pcm, key)
        lead, tail = int(lead_s * SAMPLE_RATE), int(tail_s * SAMPLE_RATE)
        total = lead + len(sp) + tail
        x = self.noise(total / SAMPLE_RATE, key)[:total]
        x = np.pad(x, (0, total - len(x)))
        x[lead : lead + len(sp)] += sp
        return self.mic().process(x)


@functools.lru_cache(maxsize=1)
def _babble_synth():
    from .synth_turns import TurnSynth

    return TurnSynth("flite:kal16", cache_size=128)


class Microphone:
    """A cheap microphone on a stream: band-pass, gain, hard clipping at full scale. Keeps its
    filter state between chunks, so a stream cut into chunks sounds like one piece."""

    def __init__(self, preset: RoomPreset, gain_db: float) -> None:
        self.enabled = preset.mic
        self.gain = 10 ** (gain_db / 20)
        self._sos = None
        self._zi = None
        if self.enabled:
            from scipy.signal import butter, sosfilt_zi

            lo, hi = preset.band_hz
            self._sos = butter(2, [lo, hi], btype="bandpass", fs=SAMPLE_RATE, output="sos")
            self._zi = sosfilt_zi(self._sos) * 0.0

    def process(self, x: np.ndarray) -> np.ndarray:
        if not self.enabled:
            return np.asarray(x, np.float32)
        from scipy.signal import sosfilt

        y, self._zi = sosfilt(self._sos, np.asarray(x, np.float64), zi=self._zi)
        return np.clip(y * self.gain, -1.0, 1.0).astype(np.float32)


def room_from_cli(name: str | None, seed: int) -> Room | None:
    """The room an `eval`/`listen` option names, or None for none at all."""
    if name is None:
        return None
    room = Room(name, seed)
    return None if room.is_clean else room


__all__ = ["PRESETS", "NOISE_KINDS", "Room", "RoomPreset", "Microphone", "preset", "room_from_cli",
           "active_rms", "pink_noise"]
