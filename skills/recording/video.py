"""One camera's frames of one episode into an mp4 (H.264, yuv420p), written as they come.

Every second frame is a key frame (`-g 2`), as LeRobot encodes, so a reader can seek to any
timestamp cheaply. The ffmpeg binary is the one imageio-ffmpeg ships.
"""

from __future__ import annotations

from pathlib import Path

import imageio.v2 as imageio
import numpy as np


class VideoWriter:
    def __init__(self, path: Path, fps: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.frames = 0
        self._w = imageio.get_writer(str(path), format="FFMPEG", mode="I", fps=fps, codec="libx264",
                                     pixelformat="yuv420p", quality=None, macro_block_size=2,
                                     ffmpeg_params=["-g", "2", "-crf", "20", "-preset", "veryfast"],
                                     ffmpeg_log_level="error")

    def add(self, frame: np.ndarray) -> None:
        self._w.append_data(np.ascontiguousarray(frame, dtype=np.uint8))
        self.frames += 1

    def close(self) -> None:
        self._w.close()


def read_video(path: Path, size: int | None = None) -> np.ndarray:
    """All frames [N, H, W, 3] uint8, optionally resized to size x size (area averaging)."""
    r = imageio.get_reader(str(path), format="FFMPEG")
    try:
        frames = [f if size is None else resize(f, size) for f in r]
    finally:
        r.close()
    return np.stack(frames) if frames else np.zeros((0, size or 0, size or 0, 3), np.uint8)


def resize(img: np.ndarray, size: int) -> np.ndarray:
    """Square resize by block averaging when the side divides, else nearest (no extra dependency)."""
    h, w = img.shape[:2]
    if h == size and w == size:
        return img
    if h % size == 0 and w % size == 0:
        fh, fw = h // size, w // size
        return img.reshape(size, fh, size, fw, -1).mean((1, 3)).astype(np.uint8)
    ys = (np.arange(size) * h / size).astype(int)
    xs = (np.arange(size) * w / size).astype(int)
    return img[ys][:, xs]
