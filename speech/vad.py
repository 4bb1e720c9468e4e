"""Voice activity: the silero VAD network run with onnxruntime directly.

The `silero-vad` package's Python API imports torch; we only need its ONNX file, so it is
installed with `--no-deps` and located through importlib.resources. The model is
stateful: it takes exactly 512 new samples at 16 kHz plus the last 64 samples of the
previous frame as context, and carries a [2, 1, 128] recurrent state between calls.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np

from .audio import SAMPLE_RATE

FRAME = 512  # samples per VAD decision (32 ms at 16 kHz)
CONTEXT = 64


def silero_model_path() -> Path:
    try:
        p = resources.files("silero_vad").joinpath("data/silero_vad.onnx")
    except ModuleNotFoundError as e:
        raise RuntimeError(
            "the silero VAD model is missing: pip install --no-deps silero-vad "
            "(--no-deps: only its ONNX file is used, not torch)"
        ) from e
    path = Path(str(p))
    if not path.exists():
        raise RuntimeError(f"silero_vad is installed but {path} is missing; reinstall: pip install --no-deps --force-reinstall silero-vad")
    return path


class SileroVAD:
    """Speech probability per 512-sample frame. Not thread-safe: one instance per stream."""

    def __init__(self, model_path: str | Path | None = None, threads: int = 1) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        # One thread is plenty for a 0.6 ms inference and leaves the cores to Whisper.
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        self._session = ort.InferenceSession(
            str(model_path or silero_model_path()), sess_options=opts, providers=["CPUExecutionProvider"]
        )
        self._sr = np.array(SAMPLE_RATE, dtype=np.int64)
        self.reset()

    def reset(self) -> None:
        self._state = np.zeros((2, 1, 128), dtype=np.float32)
        self._context = np.zeros(CONTEXT, dtype=np.float32)

    def __call__(self, frame: np.ndarray) -> float:
        if len(frame) != FRAME:
            raise ValueError(f"silero VAD takes exactly {FRAME} samples at 16 kHz, got {len(frame)}")
        x = np.concatenate([self._context, frame.astype(np.float32, copy=False)])[None, :]
        out, self._state = self._session.run(None, {"input": x, "state": self._state, "sr": self._sr})
        self._context = x[0, -CONTEXT:].copy()
        return float(out[0, 0])


class Framer:
    """Cuts arbitrary chunks into exact 512-sample frames, keeping the remainder."""

    def __init__(self, frame: int = FRAME) -> None:
        self.frame = frame
        self._rest = np.zeros(0, dtype=np.float32)

    def push(self, samples: np.ndarray) -> list[np.ndarray]:
        buf = np.concatenate([self._rest, samples]) if len(self._rest) else samples
        n = len(buf) // self.frame
        frames = [buf[i * self.frame : (i + 1) * self.frame] for i in range(n)]
        self._rest = buf[n * self.frame :].copy()
        return frames
