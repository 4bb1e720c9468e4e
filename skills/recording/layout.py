"""Where things go in a LeRobot v3.0 dataset, and its info.json features.

    meta/info.json                                        fps, features, totals, path templates
    meta/tasks.parquet                                    task string (index) -> task_index
    meta/episodes/chunk-000/file-000.parquet              one row per episode: length, tasks, where its
                                                          frames and video spans are, per-episode stats
    meta/stats.json                                       statistics over the whole dataset
    data/chunk-{c:03d}/file-{f:03d}.parquet               one row per frame
    videos/{camera key}/chunk-{c:03d}/file-{f:03d}.mp4    one video per camera
    meta/dialogue.jsonl                                   hirobot's own: the session's corrections and
                                                          questions (LeRobot ignores unknown files)

Each episode gets its own data and video file (file index = episode index within its chunk):
allowed by the format, and an episode is complete on disk the moment it is saved.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

CODEBASE_VERSION = "v3.0"
CHUNKS_SIZE = 1000
DATA_PATH = "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
VIDEO_PATH = "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4"
EPISODES_PATH = "meta/episodes/chunk-000/file-000.parquet"
TASKS_PATH = "meta/tasks.parquet"
INFO_PATH = "meta/info.json"
STATS_PATH = "meta/stats.json"
DIALOGUE_PATH = "meta/dialogue.jsonl"
STATE_KEY = "observation.state"
ACTION_KEY = "action"


def image_key(camera: str) -> str:
    return f"observation.images.{camera}"


def chunk_file(episode_index: int) -> tuple[int, int]:
    return divmod(episode_index, CHUNKS_SIZE)


def data_file(root: Path, episode_index: int) -> Path:
    c, f = chunk_file(episode_index)
    return root / DATA_PATH.format(chunk_index=c, file_index=f)


def video_file(root: Path, camera: str, episode_index: int) -> Path:
    c, f = chunk_file(episode_index)
    return root / VIDEO_PATH.format(video_key=image_key(camera), chunk_index=c, file_index=f)


def features(joint_names: list[str], cameras: dict[str, tuple[int, int]], fps: int) -> dict[str, Any]:
    names = list(joint_names) + ["gripper"]
    out: dict[str, Any] = {}
    for cam, (h, w) in cameras.items():
        out[image_key(cam)] = {
            "dtype": "video", "shape": [h, w, 3], "names": ["height", "width", "channels"],
            "info": {"video.height": h, "video.width": w, "video.codec": "h264", "video.pix_fmt": "yuv420p",
                     "video.is_depth_map": False, "video.fps": fps, "video.channels": 3, "has_audio": False},
        }
    out[STATE_KEY] = {"dtype": "float32", "shape": [len(names)], "names": names}
    out[ACTION_KEY] = {"dtype": "float32", "shape": [len(names)], "names": names}
    for key, dtype in (("timestamp", "float32"), ("frame_index", "int64"), ("episode_index", "int64"),
                       ("index", "int64"), ("task_index", "int64")):
        out[key] = {"dtype": dtype, "shape": [1], "names": None}
    return out


def info(fps: int, feats: dict[str, Any], robot_type: str, episodes: int, frames: int, tasks: int) -> dict[str, Any]:
    return {
        "codebase_version": CODEBASE_VERSION,
        "robot_type": robot_type,
        "total_episodes": episodes,
        "total_frames": frames,
        "total_tasks": tasks,
        "chunks_size": CHUNKS_SIZE,
        "data_files_size_in_mb": 100,
        "video_files_size_in_mb": 200,
        "fps": fps,
        "splits": {"train": f"0:{episodes}"} if episodes else {},
        "data_path": DATA_PATH,
        "video_path": VIDEO_PATH,
        "features": feats,
    }
