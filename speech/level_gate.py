"""Loud enough to be the person talking to the robot?

Silero VAD answers "is this a voice?", and background talk is voices: with five people
chatting 20 dB below the speaker, 91-98 % of its frames score above the VAD's threshold, so
a turn never ends and the chatter is transcribed with the command. The person addressing
the robot is nearer and louder than the room. This gate tracks the level of the room - a
low percentile of recent frame levels, which speech pauses pull down and steady noise or
babble hold up - and lets a frame count as speech only when it stands `margin_db` above it.
In a quiet room the floor is the microphone's hiss and nothing changes.
"""

from __future__ import annotations

import collections

import numpy as np


class LevelGate:
    def __init__(self, margin_db: float = 8.0, window_s: float = 6.0, percentile: float = 10.0,
                 frame_s: float = 0.032, floor_db: float = -75.0) -> None:
        self.margin_db = margin_db
        self.percentile = percentile
        self.floor_db = floor_db
        self._levels: collections.deque[float] = collections.deque(maxlen=max(8, int(window_s / frame_s)))
        self.room_db = floor_db

    def __call__(self, frame: np.ndarray, prob: float) -> float:
        """The frame's speech probability, zero when the frame is not above the room's level."""
        level = 10 * np.log10(float(np.mean(np.square(frame, dtype=np.float64))) + 1e-12)
        self._levels.append(level)
        if len(self._levels) >= 16:
            self.room_db = max(self.floor_db, float(np.percentile(self._levels, self.percentile)))
        return prob if level >= self.room_db + self.margin_db else 0.0
