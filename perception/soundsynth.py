"""Event sounds made from numbers, for tests and benchmarks that must not download audio:
alarms, breaking glass, crashes, screams, and room noise. 16 kHz mono float32 in [-1, 1].

Each takes a numpy Generator so a seed gives the same sound; variety comes from the seed
(pitch, timing, decay), which is what the detection rates are measured over.
"""

from __future__ import annotations

import numpy as np

SR = 16000


def _t(seconds: float) -> np.ndarray:
    return np.arange(int(seconds * SR)) / SR


def _norm(x: np.ndarray, peak: float = 0.7) -> np.ndarray:
    m = float(np.max(np.abs(x))) or 1.0
    return (peak * x / m).astype(np.float32)


def alarm(rng: np.random.Generator, seconds: float = 3.0) -> np.ndarray:
    """A smoke-detector-like alarm: loud square-wave beeps near 3 kHz, on/off."""
    f = rng.uniform(2900, 3300)
    on = rng.uniform(0.15, 0.5)
    period = on + rng.uniform(0.1, 0.5)
    t = _t(seconds)
    tone = np.sign(np.sin(2 * np.pi * f * t))
    gate = (t % period) < on
    return _norm(tone * gate + 0.003 * rng.standard_normal(len(t)))


def siren(rng: np.random.Generator, seconds: float = 3.0) -> np.ndarray:
    """A wailing siren: a tone sweeping between ~600 and ~1500 Hz."""
    t = _t(seconds)
    rate = rng.uniform(0.3, 1.0)
    f = 1050 + 450 * np.sin(2 * np.pi * rate * t)
    phase = 2 * np.pi * np.cumsum(f) / SR
    return _norm(np.sin(phase) + 0.3 * np.sin(2 * phase) + 0.003 * rng.standard_normal(len(t)))


def glass(rng: np.random.Generator, seconds: float = 2.0) -> np.ndarray:
    """Breaking glass: a sharp broadband crack, then shards: bursts of high, fast-decaying
    sinusoids with a little noise, scattered over half a second."""
    n = int(seconds * SR)
    x = np.zeros(n)
    t0 = int(rng.uniform(0.1, 0.4) * SR)
    crack = rng.standard_normal(int(0.05 * SR)) * np.exp(-np.arange(int(0.05 * SR)) / (0.008 * SR))
    x[t0:t0 + len(crack)] += 2.0 * crack
    for _ in range(int(rng.integers(12, 30))):
        s = t0 + int(rng.exponential(0.15) * SR)
        if s >= n:
            continue
        dur = int(0.15 * SR)
        tt = np.arange(dur) / SR
        burst = sum(np.sin(2 * np.pi * rng.uniform(2500, 7500) * tt + rng.uniform(0, 6.3)) for _ in range(6))
        burst = burst * np.exp(-tt / rng.uniform(0.01, 0.05)) * rng.uniform(0.3, 1.0)
        burst += 0.3 * rng.standard_normal(dur) * np.exp(-tt / 0.005)
        e = min(n, s + dur)
        x[s:e] += burst[: e - s]
    return _norm(x + 0.002 * rng.standard_normal(n))


def crash(rng: np.random.Generator, seconds: float = 2.0) -> np.ndarray:
    """Something heavy falling: broadband noise bursts with a fast decay and a low thump."""
    n = int(seconds * SR)
    x = np.zeros(n)
    s = int(rng.uniform(0.1, 0.4) * SR)
    for k in range(int(rng.integers(2, 5))):
        dur = int(0.4 * SR)
        tt = np.arange(dur) / SR
        noise = rng.standard_normal(dur)
        # A little smoothing: most energy of impacts is below a few kHz.
        noise = np.convolve(noise, np.ones(3) / 3, mode="same")
        b = noise * np.exp(-tt / rng.uniform(0.03, 0.12)) * (1.0 if k == 0 else rng.uniform(0.2, 0.6))
        b += 1.5 * np.sin(2 * np.pi * rng.uniform(50, 120) * tt) * np.exp(-tt / 0.06) * (k == 0)
        e = min(n, s + dur)
        x[s:e] += b[: e - s]
        s += int(rng.uniform(0.05, 0.25) * SR)
        if s >= n:
            break
    return _norm(x + 0.002 * rng.standard_normal(n))


def scream(rng: np.random.Generator, seconds: float = 1.5) -> np.ndarray:
    """A scream-like voice: a high, rough, harmonic-rich tone with vibrato and vocal formants."""
    t = _t(seconds)
    f0 = rng.uniform(700, 1100) * (1 + 0.03 * np.sin(2 * np.pi * rng.uniform(5, 8) * t))
    f0 *= 1 + 0.02 * rng.standard_normal(len(t)).cumsum() / np.sqrt(len(t))
    phase = 2 * np.pi * np.cumsum(f0) / SR
    x = sum((1.0 / k) * np.sin(k * phase) for k in range(1, 9))
    env = np.minimum(1, t / 0.08) * np.minimum(1, (seconds - t) / 0.2)
    return _norm(x * env + 0.02 * rng.standard_normal(len(t)))


def colored_noise(rng: np.random.Generator, seconds: float = 3.0, exponent: float = 1.0, level: float = 0.1) -> np.ndarray:
    """Noise with a 1/f^exponent power spectrum: 1 is pink, 2 is brown (room rumble)."""
    n = int(seconds * SR)
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / SR)
    f[0] = f[1]
    x = np.fft.irfft(spec / f ** (exponent / 2), n)
    return (level * x / (np.std(x) + 1e-12)).astype(np.float32)


def mix(a: np.ndarray, b: np.ndarray, gain_b: float = 1.0) -> np.ndarray:
    n = max(len(a), len(b))
    out = np.zeros(n, np.float32)
    out[: len(a)] += a
    out[: len(b)] += gain_b * b
    return np.clip(out, -1, 1)


def espeak(text: str, voice: str = "en-us", speed: int = 160) -> np.ndarray | None:
    """Speech from espeak-ng at 16 kHz, or None when espeak-ng is not installed."""
    import shutil
    import subprocess
    import tempfile
    import wave

    exe = shutil.which("espeak-ng")
    if exe is None:
        return None
    with tempfile.NamedTemporaryFile(suffix=".wav") as f:
        subprocess.run([exe, "-v", voice, "-s", str(speed), "-w", f.name, text], check=True, capture_output=True)
        with wave.open(f.name) as w:
            sr = w.getframerate()
            x = np.frombuffer(w.readframes(w.getnframes()), np.int16).astype(np.float32) / 32768.0
    if sr != SR:
        tt = np.arange(0, len(x) / sr, 1 / SR)
        x = np.interp(tt, np.arange(len(x)) / sr, x)
    return x.astype(np.float32)
