"""Reading a LeRobot v3.0 dataset back: what training and the tests need, without LeRobot."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np
import pyarrow.parquet as pq

from skills.recording import layout
from skills.recording.video import read_video


@dataclass
class EpisodeData:
    index: int
    task: str
    state: np.ndarray  # [N, D] float32
    action: np.ndarray  # [N, D] float32
    timestamp: np.ndarray  # [N]
    images: dict[str, np.ndarray] = field(default_factory=dict)  # camera -> [N, H, W, 3] uint8
    outcome: str = ""


def read_info(root: Path) -> dict:
    return json.loads((Path(root) / layout.INFO_PATH).read_text())


def read_tasks(root: Path) -> dict[int, str]:
    """task_index -> task. The task string is the frame's index: pyarrow names the column
    `__index_level_0__` (hirobot's writer, pandas without an index name) or `task` (LeRobot
    names the index); the pandas metadata says which."""
    table = pq.read_table(Path(root) / layout.TASKS_PATH)
    t = table.to_pydict()
    names = [c for c in table.column_names if c != "task_index"]
    pandas_meta = json.loads((table.schema.metadata or {}).get(b"pandas", b"{}") or b"{}")
    index = [c for c in pandas_meta.get("index_columns", []) if isinstance(c, str) and c in t]
    column = "task" if "task" in t else (index[0] if index else (names[0] if len(names) == 1 else None))
    if column is None:
        raise ValueError(f"{Path(root) / layout.TASKS_PATH} has no task column (columns: {table.column_names})")
    return {int(i): s for i, s in zip(t["task_index"], t[column])}


def read_episodes_meta(root: Path) -> list[dict]:
    """Every episode's row, from all of meta/episodes/chunk-*/file-*.parquet (LeRobot starts new
    files as a dataset grows), in episode order. Columns one file lacks are absent from its rows
    (episodes LeRobot appended have no `hirobot/outcome`)."""
    rows: list[dict] = []
    for path in sorted((Path(root) / "meta" / "episodes").glob("chunk-*/file-*.parquet")):
        cols = pq.read_table(path).to_pydict()
        keys = [k for k in cols if not k.startswith("stats/")]
        rows += [{k: cols[k][i] for k in keys} for i in range(len(cols["episode_index"]))]
    return sorted(rows, key=lambda r: int(r["episode_index"]))


def read_dataset(root: str | Path, cameras: tuple[str, ...] | None = None, image_size: int | None = None,
                 only_success: bool = False) -> Iterator[EpisodeData]:
    """Episodes in order, with their frames decoded (resized to image_size when given)."""
    root = Path(root)
    info = read_info(root)
    tasks = read_tasks(root)
    cams = cameras if cameras is not None else tuple(
        k.split(".")[-1] for k, f in info["features"].items() if f["dtype"] == "video")
    for ep in read_episodes_meta(root):
        if only_success and ep.get("hirobot/outcome") not in ("success", None):
            continue
        i = int(ep["episode_index"])
        t = pq.read_table(root / info["data_path"].format(chunk_index=ep["data/chunk_index"],
                                                          file_index=ep["data/file_index"]))
        t = t.filter(np.asarray(t["episode_index"].to_numpy() == i))
        d = t.to_pydict()
        images = {}
        for cam in cams:
            key = layout.image_key(cam)
            path = root / info["video_path"].format(video_key=key, chunk_index=ep[f"videos/{key}/chunk_index"],
                                                    file_index=ep[f"videos/{key}/file_index"])
            frames = read_video(path, image_size)
            f0 = int(round(ep[f"videos/{key}/from_timestamp"] * info["fps"]))
            images[cam] = frames[f0:f0 + len(d["index"])]
        yield EpisodeData(index=i, task=tasks[int(d["task_index"][0])],
                          state=np.asarray(d[layout.STATE_KEY], np.float32),
                          action=np.asarray(d[layout.ACTION_KEY], np.float32),
                          timestamp=np.asarray(d["timestamp"], np.float32), images=images,
                          outcome=str(ep.get("hirobot/outcome", "")))
