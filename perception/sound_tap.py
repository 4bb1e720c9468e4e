"""Listening for sound events on the same audio the speech pipeline hears.

`SoundTap` is an always-open gate at the front of the pipeline's gates: it sees every
frame (also while the robot talks), copies it onto a bounded queue and returns at once; a
worker thread runs YAMNet on the stream and calls `on_cue` once per event. The capture
thread never waits on the classifier; if the classifier falls behind, the oldest audio is
dropped (counted).
"""

from __future__ import annotations

import queue
import threading
from typing import Callable

import numpy as np

from agent.events import Cue
from perception.sound import SoundEventDetector, SoundEventStream


class SoundTap:
    def __init__(self, on_cue: Callable[[Cue], None], detector: SoundEventDetector | None = None,
                 max_frames: int = 256) -> None:
        self.stream = SoundEventStream(detector or SoundEventDetector(), on_cue)
        self._q: "queue.Queue[np.ndarray | None]" = queue.Queue(maxsize=max_frames)
        self.dropped = 0
        self._thread: threading.Thread | None = None

    # -- the gate interface (capture thread) ---------------------------------------------------
    def process(self, frame: np.ndarray, prob: float, t: float) -> str:
        try:
            self._q.put_nowait(np.array(frame, np.float32, copy=True))
        except queue.Full:
            self.dropped += 1
        return "open"

    def turn_ended(self) -> None:
        return None

    # -- the classifier thread -----------------------------------------------------------------
    def start(self) -> "SoundTap":
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="sound-events", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        if self._thread is None:
            return
        while True:
            try:
                self._q.put(None, timeout=0.1)
                break
            except queue.Full:
                try:
                    self._q.get_nowait()
                except queue.Empty:
                    pass
        self._thread.join(timeout)
        self._thread = None

    def _run(self) -> None:
        while True:
            frame = self._q.get()
            if frame is None:
                return
            self.stream.feed(frame)
