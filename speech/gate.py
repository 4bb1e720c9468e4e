"""Gates decide, frame by frame, whether microphone audio is the person talking to the
robot: a wake word, push-to-talk, or "the robot is speaking right now" (echo)."""

from __future__ import annotations

from typing import Literal, Protocol

import numpy as np

# "closed": not for us; "open": listen; "opened": listen, and forget the audio heard
# before this frame (it was the wake word, not the command).
GateState = Literal["closed", "open", "opened"]


class AudioGate(Protocol):
    def process(self, frame: np.ndarray, prob: float, t: float) -> GateState:
        """One 512-sample frame, its speech probability and audio-clock time."""
        ...

    def turn_ended(self) -> None:
        """Called when an admitted turn ended (a wake-word gate may close again)."""
        ...


class AlwaysOpen:
    def process(self, frame: np.ndarray, prob: float, t: float) -> GateState:
        return "open"

    def turn_ended(self) -> None:
        return None
