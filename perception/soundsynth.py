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


# Screamed vowels: formant frequencies (Hz) of an adult male vocal tract with the mouth wide
# open; `scream` scales them for shorter tracts (women, children) by up to 25 %.
SCREAM_VOWELS: dict[str, tuple[float, ...]] = {
    "a": (950, 1500, 2700, 3700, 4700),   # "aaah"
    "ae": (800, 1800, 2600, 3700, 4700),  # "aaeh"
    "i": (420, 2300, 3000, 3800, 4800),   # "eeeh"
    "o": (700, 1100, 2600, 3600, 4600),   # "ooh"
}
_OS = 4  # the glottal source is drawn at 64 kHz and band-limited to 16 kHz (pulses at 1.5 kHz alias otherwise)


def _formants(x: np.ndarray, freqs: list, bws: list) -> np.ndarray:
    """A cascade of two-pole resonators (Klatt's formant filters, unity gain at DC) whose
    centre frequencies may change from sample to sample."""
    y = np.asarray(x, float)
    for F, B in zip(freqs, bws):
        F = np.broadcast_to(np.asarray(F, float), y.shape)
        r = np.exp(-np.pi * B / SR)
        b = 2 * r * np.cos(2 * np.pi * F / SR)
        c = -r * r
        a = 1 - b - c
        out = np.empty_like(y)
        y1 = y2 = 0.0
        for i, (ai, bi, xi) in enumerate(zip(a.tolist(), b.tolist(), y.tolist())):
            v = ai * xi + bi * y1 + c * y2
            out[i] = v
            y2, y1 = y1, v
        y = out
    return y


def scream(rng: np.random.Generator, seconds: float | None = None) -> np.ndarray:
    """A person screaming, from a source-filter model of the voice; 1-2 s unless `seconds`.

    Source: Rosenberg glottal pulses, one per vocal-fold cycle, at a fundamental that glides
    up at the onset to a peak of 500-1500 Hz, wanders and wobbles there, and falls at the end.
    Cycle to cycle the period jitters and the amplitude shimmers. Like recorded screams it has
    nonlinear episodes: deterministic chaos (periods jitter by several percent, more
    turbulence) and period doubling (alternate cycles differ, a subharmonic at f0/2), plus
    amplitude roughness at 30-150 Hz. Breath noise is added, stronger while the glottis is open.
    Filter: the flow derivative (lip radiation) through five formants of a screamed vowel,
    sometimes gliding to another ("aaa-eee"), with the first formant pulled up to f0 as the
    jaw opens wide. Then a loud onset, a short release, and a little room reverberation.
    """
    if seconds is None:
        seconds = float(rng.uniform(1.0, 2.0))
    n = int(seconds * SR)
    t = _t(seconds)[:n]

    # Fundamental frequency contour.
    peak = float(np.exp(rng.uniform(np.log(500), np.log(1500))))
    rise, fall = rng.uniform(0.06, 0.25), rng.uniform(0.15, 0.4)
    f_start, f_end = rng.uniform(0.55, 0.85), rng.uniform(0.6, 0.95)
    contour = np.where(t < rise, f_start + (1 - f_start) * np.sin(0.5 * np.pi * np.minimum(t / rise, 1)), 1.0)
    tail = seconds - fall
    contour = np.where(t > tail, 1 - (1 - f_end) * ((t - tail) / fall) ** 2, contour)
    drift = np.cumsum(rng.standard_normal(n))
    drift = np.convolve(drift / (np.std(drift) + 1e-9), np.ones(800) / 800, mode="same") * rng.uniform(0.01, 0.04)
    wobble = rng.uniform(0.005, 0.03) * np.sin(2 * np.pi * rng.uniform(4, 8) * t + rng.uniform(0, 2 * np.pi))
    f0 = peak * contour * (1 + drift + wobble)

    # Vocal-fold cycles: jitter, shimmer, and one to three nonlinear episodes.
    jitter, shimmer = rng.uniform(0.005, 0.02), rng.uniform(0.05, 0.2)
    chaos, doubling = np.zeros(n), np.zeros(n)
    for _ in range(int(rng.integers(1, 4))):
        a = int(rng.uniform(0, 0.8) * n)
        (chaos if rng.random() < 0.5 else doubling)[a:a + int(rng.uniform(0.15, 0.6) * n)] = 1
    chaos_jitter = rng.uniform(0.04, 0.12)
    sub_period, sub_amp = rng.uniform(0.02, 0.1), rng.uniform(0.15, 0.5)
    starts, periods, amps = [], [], []
    tk, k = 0.0, 0
    while tk < seconds:
        i = min(n - 1, int(tk * SR))
        alt = (1 if k % 2 else -1) * doubling[i]
        period = (1 + (jitter + chaos_jitter * chaos[i]) * rng.standard_normal() + alt * sub_period) / f0[i]
        starts.append(tk)
        periods.append(period)
        amps.append(max(0.1, 1 + shimmer * rng.standard_normal() + alt * sub_amp))
        tk += period
        k += 1
    st, per, amp = np.asarray(starts), np.asarray(periods), np.asarray(amps)

    # Glottal flow at 64 kHz: Rosenberg pulses (slow opening, faster closing, then closed).
    tt = np.arange(n * _OS) / (SR * _OS)
    ci = np.clip(np.searchsorted(st, tt, side="right") - 1, 0, len(st) - 1)
    u = (tt - st[ci]) / per[ci]
    open_q = rng.uniform(0.35, 0.6)
    up = open_q * rng.uniform(0.6, 0.75)
    flow = np.where(u < up, 0.5 * (1 - np.cos(np.pi * u / up)),
                    np.where(u < open_q, np.cos(0.5 * np.pi * (u - up) / (open_q - up)), 0.0)) * amp[ci]
    breath = rng.uniform(0.02, 0.12) * (1 + 2 * np.repeat(chaos, _OS))
    flow = flow + breath * rng.standard_normal(len(tt)) * (0.3 + flow)
    flow = np.fft.irfft(np.fft.rfft(flow)[: n // 2 + 1], n) / _OS  # band-limit and decimate to 16 kHz
    src = np.diff(flow, prepend=flow[0])  # lip radiation: the flow's derivative
    rough_hz, rough = rng.uniform(30, 150), rng.uniform(0.1, 0.5)
    src = src * (1 + rough * np.sin(2 * np.pi * rough_hz * t + 3 * np.cumsum(rng.standard_normal(n)) / SR))

    # Vocal tract.
    names = list(SCREAM_VOWELS)
    v1 = SCREAM_VOWELS[names[int(rng.integers(len(names)))]]
    v2 = SCREAM_VOWELS[names[int(rng.integers(len(names)))]] if rng.random() < 0.4 else v1
    scale = rng.uniform(1.0, 1.25)
    w = np.clip((t - rng.uniform(0.2, 0.6) * seconds) / 0.2, 0, 1)
    freqs = [scale * ((1 - w) * a + w * b) for a, b in zip(v1, v2)]
    freqs[0] = np.maximum(freqs[0], 0.9 * f0)
    bws = [rng.uniform(lo, hi) for lo, hi in ((80, 160), (90, 180), (120, 250), (200, 350), (250, 450))]
    x = _formants(src, freqs, bws)

    # Loudness: a fast, loud onset, some decay, a short release.
    attack, release = rng.uniform(0.015, 0.06), rng.uniform(0.08, 0.25)
    x = x * np.minimum(1, t / attack) * np.minimum(1, np.maximum(0, seconds - t) / release) \
        * (1 - rng.uniform(0, 0.4) * t / seconds)

    # A room: exponentially decaying reverberation (RT60 0.15-0.5 s), mixed in lightly.
    L = int(rng.uniform(0.15, 0.5) * SR)
    ir = rng.standard_normal(L) * np.exp(-6.9 * np.arange(L) / L)
    ir[0] = 0.0
    wet = np.fft.irfft(np.fft.rfft(x, n + L) * np.fft.rfft(ir, n + L), n + L)[:n]
    x = x + rng.uniform(0.0, 0.3) * wet * np.std(x) / (np.std(wet) + 1e-12)
    return _norm(x + 0.002 * np.std(x) * rng.standard_normal(n), peak=float(rng.uniform(0.5, 0.9)))


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
