"""Semantic end of turn: has the person finished what they were saying?

Smart Turn v3.2 (pipecat-ai, BSD-2) is a small Whisper-encoder classifier that reads the
last 8 s of a turn's audio - words and intonation - and gives the probability that the turn
is complete. The pipeline asks it after a short silence (`EndpointConfig.semantic_silence_s`):
a finished sentence ("Put the red cup in the bin.") then ends at once instead of after the
fixed end-of-turn silence, and an unfinished one ("Put the red cup ...") is given longer.

The ONNX file ships inside the pipecat-ai wheel (`pip install --no-deps pipecat-ai`: only
the file is used, none of pipecat's code or dependencies). Its input is Whisper's 80-bin
log-mel of exactly 8 s at 16 kHz (zero-padded at the front), after a zero-mean,
unit-variance normalization of the waveform; faster-whisper's feature extractor computes the
same spectrogram (checked to 3e-7 against pipecat's reference).
"""

from __future__ import annotations

import importlib.util
import threading
import time
from pathlib import Path

import numpy as np

from .audio import SAMPLE_RATE

WINDOW_S = 8
MODEL_FILE = "audio/turn/smart_turn/data/smart-turn-v3.2-cpu.onnx"


def smart_turn_path() -> Path:
    """The ONNX file inside the installed pipecat-ai wheel (found without importing pipecat,
    whose package imports its own dependencies)."""
    spec = importlib.util.find_spec("pipecat")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the end-of-turn model needs the pipecat-ai wheel: pip install --no-deps pipecat-ai==1.14.0")
    for root in spec.submodule_search_locations:
        path = Path(root) / MODEL_FILE
        if path.exists():
            return path
    raise RuntimeError(f"pipecat-ai is installed but has no {MODEL_FILE}: pip install --no-deps pipecat-ai==1.14.0")


class SmartTurn:
    """`probability(pcm)`: how likely the turn in `pcm` (16 kHz mono, the turn so far,
    trailing silence included) is complete. About 10-60 ms on one core."""

    def __init__(self, model_path: str | Path | None = None, threads: int = 1) -> None:
        import onnxruntime as ort
        from faster_whisper.feature_extractor import FeatureExtractor

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        self._session = ort.InferenceSession(str(model_path or smart_turn_path()), sess_options=opts,
                                             providers=["CPUExecutionProvider"])
        self._input = self._session.get_inputs()[0].name
        self._features = FeatureExtractor(chunk_length=WINDOW_S)
        self._lock = threading.Lock()
        self.last_seconds = 0.0

    def features(self, pcm: np.ndarray) -> np.ndarray:
        n = WINDOW_S * SAMPLE_RATE
        x = np.asarray(pcm, np.float32)[-n:]
        x = np.pad(x, (n - len(x), 0))
        x = (x - x.mean()) / np.sqrt(x.var() + 1e-7)
        return self._features(x, padding=0)[:, : WINDOW_S * 100].astype(np.float32)

    def probability(self, pcm: np.ndarray) -> float:
        t0 = time.perf_counter()
        feats = self.features(pcm)[None]
        with self._lock:
            out = self._session.run(None, {self._input: feats})[0]
        self.last_seconds = time.perf_counter() - t0
        return float(np.asarray(out).reshape(-1)[0])

    def warmup(self) -> None:
        self.probability(np.zeros(SAMPLE_RATE, np.float32))


# Words a sentence does not end on: articles, prepositions, conjunctions, possessives.
_DANGLING = frozenset(
    "the a an to into onto in on of at from for with by and or but then so if than that this these those "
    "my your his her its our their each every both some which".split()
)


# Words that open a clause which needs another after it ("When I say set the table, ...").
_SUBORDINATORS = frozenset("when whenever if once after before while until unless because although though "
                           "since".split())
_OPENERS = frozenset("and so okay ok um uh oh well now".split())


def looks_unfinished(text: str) -> bool:
    """Whether a transcript stops mid-sentence: on a comma, colon, dash or ellipsis, on a word
    no sentence ends with ("... into the"), or with only a clause that waits for another
    ("When I say set the table." with no comma after it: Whisper put a full stop at the
    speaker's pause). Whisper punctuates what it hears, so a sentence cut at a breath usually
    ends in a comma."""
    t = text.strip()
    if not t:
        return False
    if t.endswith((",", ":", ";", "-", "—", "...")):
        return True
    words = [w.strip(".,!?\"'").lower() for w in t.split()]
    while words and words[0] in _OPENERS:
        words = words[1:]
    if len(words) >= 3 and words[0] in _SUBORDINATORS and not any(c in t for c in ",;:") and \
            " then " not in f" {' '.join(words)} ":
        return True
    last = t.rstrip(".!?").split()[-1].lower().strip("\"'") if t.rstrip(".!?").split() else ""
    return last in _DANGLING
