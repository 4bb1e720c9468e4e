"""Recording a session with LeRobot's own dataset writer (used when LeRobot is installed).

Same interface as DatasetRecorder (begin_episode / on_tick / end_episode / note_dialogue /
close / wrap), written by `LeRobotDataset.create(...)`, `add_frame` and `save_episode`, so the
files are exactly what LeRobot writes and its tools can resume, append to and merge them.
hirobot's extras go where hirobot's own writer puts them: the session's words in
meta/dialogue.jsonl, each step's outcome in the episode columns `hirobot/outcome` and
`hirobot/reason` (added to LeRobot's episode metadata when the dataset is closed, because
LeRobot writes that metadata in batches and finishes it in `finalize`).
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from skills.api import Action, Observation, Outcome
from skills.recording import layout


def lerobot_writer_available() -> bool:
    try:
        import lerobot.datasets.lerobot_dataset  # noqa: F401
    except ImportError:
        return False
    return True


class LeRobotRecorder:
    def __init__(self, root: Path, fps: int, joint_names: list[str], cameras: tuple[str, ...] = ("front", "wrist"),
                 image_size: tuple[int, int] = (224, 224), robot_type: str = "hirobot_sim_arm") -> None:
        from lerobot.datasets.lerobot_dataset import LeRobotDataset

        self.root = Path(root)
        self.fps = int(fps)
        self.joint_names = list(joint_names)
        self.cameras = tuple(cameras)
        self.image_size = tuple(image_size)
        names = self.joint_names + ["gripper"]
        features: dict[str, Any] = {
            layout.image_key(c): {"dtype": "video", "shape": (*self.image_size, 3), "names": ["height", "width", "channels"]}
            for c in self.cameras}
        features[layout.STATE_KEY] = {"dtype": "float32", "shape": (len(names),), "names": names}
        features[layout.ACTION_KEY] = {"dtype": "float32", "shape": (len(names),), "names": names}
        if self.root.exists() and not any(self.root.iterdir()):
            self.root.rmdir()  # LeRobot makes the folder itself
        self.dataset = LeRobotDataset.create(f"local/{self.root.name}", fps=self.fps, features=features, root=self.root,
                                             robot_type=robot_type, use_videos=True)
        self.outcomes: dict[int, tuple[str, str]] = {}
        self.episodes = 0
        self._lock = threading.Lock()
        self._task: str | None = None
        self._frames = 0
        self._last_images: dict[str, np.ndarray] = {}
        self._closed = False

    # -- feeding (DatasetRecorder's interface) ---------------------------------------------------
    def wrap(self, robot: Any) -> Any:
        from skills.recording.recorder import RecordingRobot

        return RecordingRobot(robot, self)

    @property
    def recording(self) -> bool:
        return self._task is not None

    def begin_episode(self, task: str) -> None:
        with self._lock:
            if self._task is not None:
                self._finish(None)
            self._task = task

    def on_tick(self, obs: Observation, action: Action | np.ndarray, instruction: str | None = None,
                state: np.ndarray | None = None) -> None:
        with self._lock:
            if self._task is None:
                if instruction is None:
                    return
                self._task = instruction
            elif instruction is not None and instruction != self._task:
                self._finish(None)
                self._task = instruction
            self._add(obs, action, state)

    def end_episode(self, outcome: Outcome | None = None) -> int | None:
        with self._lock:
            return self._finish(outcome)

    def note_dialogue(self, kind: str, text: str, **detail: Any) -> None:
        with self._lock:
            ep = self.episodes if self._task is not None else (self.episodes - 1 if self.episodes else None)
            row = {"time": time.time(), "episode_index": ep, "kind": kind, "text": text, **detail}
            (self.root / "meta").mkdir(parents=True, exist_ok=True)
            with open(self.root / layout.DIALOGUE_PATH, "a", encoding="utf-8") as f:
                f.write(json.dumps(row, default=str) + "\n")

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._finish(None)
            self.dataset.finalize()
            self._closed = True
            if self.outcomes:
                _add_outcome_columns(self.root, self.outcomes)

    # -- writing ---------------------------------------------------------------------------------
    def _add(self, obs: Observation, action: Action | np.ndarray, state: np.ndarray | None = None) -> None:
        from skills.policies.lerobot_checkpoint import resize_image

        frame: dict[str, Any] = {}
        for cam in self.cameras:
            img = obs.images.get(cam, self._last_images.get(cam))
            if img is None:
                return  # a frame without its pictures is no use for training: skip it
            self._last_images[cam] = img
            frame[layout.image_key(cam)] = resize_image(np.asarray(img, np.uint8), *self.image_size)
        if state is None:
            state = np.concatenate([np.asarray(obs.joints, np.float32), np.float32([obs.gripper])])
        frame[layout.STATE_KEY] = np.asarray(state, np.float32).reshape(-1)
        if isinstance(action, Action):
            frame[layout.ACTION_KEY] = np.concatenate([np.asarray(action.joints, np.float32), np.float32([action.gripper])])
        else:
            frame[layout.ACTION_KEY] = np.asarray(action, np.float32).reshape(-1)
        frame["task"] = self._task
        self.dataset.add_frame(frame)
        self._frames += 1

    def _finish(self, outcome: Outcome | None) -> int | None:
        task, self._task = self._task, None
        if task is None:
            return None
        if self._frames == 0:
            return None
        self.dataset.save_episode()
        index = self.episodes
        self.episodes += 1
        self._frames = 0
        self.outcomes[index] = (outcome.status.value, outcome.reason) if outcome is not None else ("", "")
        return index


def _add_outcome_columns(root: Path, outcomes: dict[int, tuple[str, str]]) -> None:
    """hirobot/outcome and hirobot/reason beside LeRobot's episode metadata."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    for path in sorted((root / "meta" / "episodes").glob("chunk-*/file-*.parquet")):
        table = pq.read_table(path)
        idx = table["episode_index"].to_pylist()
        for name, col in (("hirobot/outcome", 0), ("hirobot/reason", 1)):
            values = pa.array([outcomes.get(int(i), ("", ""))[col] for i in idx], pa.string())
            if name in table.column_names:
                table = table.set_column(table.column_names.index(name), name, values)
            else:
                table = table.append_column(name, values)
        pq.write_table(table, path)
