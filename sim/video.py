"""Episode video: front-camera frames collected while the simulator advances, written as mp4 or gif.

    rec = FrameRecorder(every=2)          # one frame per 2 control ticks (10 fps at 20 Hz)
    robot.recorder = rec                   # SimRobot.advance() calls rec.on_tick(robot)
    ...                                    # run skills
    path = rec.save("episode.mp4")         # or .gif; returns the path written

Frames are rendered in the thread that advances the simulation (an EGL context belongs to one
thread); `enabled = False` pauses collection without detaching the recorder.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np


class FrameRecorder:
    def __init__(self, every: int = 2, camera: str = "front", max_frames: int = 20_000, fps: float | None = None):
        if every < 1:
            raise ValueError("every must be at least 1 control tick")
        self.every = int(every)
        self.camera = camera
        self.max_frames = int(max_frames)
        self.fps = fps
        self.enabled = True
        self.frames: list[np.ndarray] = []
        self._ticks = 0
        self._lock = threading.Lock()

    def on_tick(self, robot) -> None:
        """Called by the robot after each control tick of physics."""
        if not self.enabled:
            return
        with self._lock:
            self._ticks += 1
            due = (self._ticks - 1) % self.every == 0 and len(self.frames) < self.max_frames
        if due:
            frame = robot.render(self.camera)
            with self._lock:
                self.frames.append(frame)

    def clear(self) -> None:
        with self._lock:
            self.frames.clear()
            self._ticks = 0

    def save(self, path: str | Path, control_hz: float = 20.0) -> Path:
        """Write the frames to `path` (.mp4 through imageio-ffmpeg's bundled binary, or .gif)."""
        import imageio.v2 as imageio

        path = Path(path)
        with self._lock:
            frames = list(self.frames)
        if not frames:
            raise ValueError("no frames were recorded")
        fps = self.fps or control_hz / self.every
        path.parent.mkdir(parents=True, exist_ok=True)
        suffix = path.suffix.lower()
        if suffix == ".gif":
            imageio.mimsave(path, frames, duration=1.0 / fps, loop=0)
        elif suffix in (".mp4", ".m4v", ".mov"):
            # 224 is divisible by 16, so no resizing is needed for the H.264 encoder.
            with imageio.get_writer(path, fps=fps, codec="libx264", quality=7, macro_block_size=1) as w:
                for f in frames:
                    w.append_data(f)
        else:
            raise ValueError(f"unsupported video format {suffix!r}: use .mp4 or .gif")
        return path
