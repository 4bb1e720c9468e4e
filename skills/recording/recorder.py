"""DatasetRecorder: a session written as a LeRobot v3.0 dataset, one episode per step.

`DatasetRecorder.create` hands the writing to LeRobot's own writer when LeRobot is installed
(`lerobot_writer.LeRobotRecorder`, same interface); this module writes the same format where
it is not.

A frame is an observation and the action the robot was given in answer to it, at the
control rate; its task is the instruction of the step that produced it. Frames are written
as they come (video frames straight to the encoder, vectors kept until the episode ends), so
a session of any length needs little memory, and every saved episode is complete on disk.

Two ways to feed it:
- `recorder.wrap(robot)`: a `RecordingRobot` that pairs each `act()` with the observation it
  answered. The executor, `drive()` and scripted skills all go through the robot, so nothing
  else changes. Recording happens only between `begin_episode` and `end_episode`.
- `recorder.on_tick(obs, action, instruction)`: for callers that hold both themselves.

The session's words (corrections, questions, answers) go to meta/dialogue.jsonl with the
episode they belong to.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from skills.api import Action, Observation, Outcome
from skills.recording import layout, stats
from skills.recording.video import VideoWriter


class DatasetRecorder:
    def __init__(self, root: Path, fps: int, joint_names: list[str], cameras: tuple[str, ...] = ("front", "wrist"),
                 image_size: tuple[int, int] = (224, 224), robot_type: str = "hirobot_sim_arm") -> None:
        self.root = Path(root)
        self.fps = int(fps)
        self.joint_names = list(joint_names)
        self.cameras = tuple(cameras)
        self.robot_type = robot_type
        self.features = layout.features(self.joint_names, {c: image_size for c in self.cameras}, self.fps)
        self.tasks: dict[str, int] = {}
        self.episodes: list[dict[str, Any]] = []
        self.episode_stats: list[dict[str, dict[str, np.ndarray]]] = []
        self.total_frames = 0
        self._lock = threading.Lock()
        self._open: _Episode | None = None
        self._task = ""
        (self.root / "meta").mkdir(parents=True, exist_ok=True)
        self._write_meta()

    @classmethod
    def create(cls, root: str | Path, fps: int = 20, joint_names: list[str] | None = None, *, writer: str = "auto",
               **kw: Any) -> Any:
        """A recorder for a new dataset at `root`: LeRobot's own writer when LeRobot is installed
        (writer="auto" or "lerobot"), else this one (writer="hirobot"), which writes the same
        format, statistics with quantiles included."""
        from skills.recording.lerobot_writer import LeRobotRecorder, lerobot_writer_available

        root = Path(root)
        if (root / layout.INFO_PATH).exists() and any((root / "data").glob("*/*.parquet")):
            raise FileExistsError(f"{root} already holds a dataset; record to a new folder")
        names = joint_names or [f"joint{i + 1}" for i in range(6)]
        if writer not in ("auto", "lerobot", "hirobot"):
            raise ValueError(f"unknown dataset writer {writer!r}: auto, lerobot or hirobot")
        if writer == "lerobot" or (writer == "auto" and lerobot_writer_available()):
            return LeRobotRecorder(root, fps, names, **kw)
        return cls(root, fps, names, **kw)

    # -- feeding -----------------------------------------------------------------------------
    def wrap(self, robot: Any) -> "RecordingRobot":
        return RecordingRobot(robot, self)

    @property
    def recording(self) -> bool:
        return self._open is not None

    def begin_episode(self, task: str) -> None:
        """Start an episode (a step) whose frames all carry `task` (the step's instruction)."""
        with self._lock:
            if self._open is not None:
                self._finish(None)
            self._task = task
            self._open = _Episode(len(self.episodes), task, self)

    def on_tick(self, obs: Observation, action: Action | np.ndarray, instruction: str | None = None,
                state: np.ndarray | None = None) -> None:
        """One frame: `obs` and the action decided from it. Ignored while no episode is open.
        `state` (with `action` as a vector) records a robot in its own units instead of
        hirobot's joints + gripper."""
        with self._lock:
            if self._open is None:
                if instruction is None:
                    return
                self._task = instruction
                self._open = _Episode(len(self.episodes), instruction, self)
            elif instruction is not None and instruction != self._open.task:
                self._finish(None)
                self._open = _Episode(len(self.episodes), instruction, self)
            self._open.add(obs, action, state)

    def end_episode(self, outcome: Outcome | None = None) -> int | None:
        """Save the open episode; returns its index (None when it had no frames)."""
        with self._lock:
            return self._finish(outcome)

    def note_dialogue(self, kind: str, text: str, **detail: Any) -> None:
        """A correction, question or answer of the session, kept beside the frames."""
        with self._lock:
            ep = self._open.index if self._open is not None else (len(self.episodes) - 1 if self.episodes else None)
            row = {"time": time.time(), "episode_index": ep, "kind": kind, "text": text, **detail}
            with open(self.root / layout.DIALOGUE_PATH, "a", encoding="utf-8") as f:
                f.write(json.dumps(row, default=str) + "\n")

    def close(self) -> None:
        with self._lock:
            self._finish(None)

    # -- writing -----------------------------------------------------------------------------
    def _finish(self, outcome: Outcome | None) -> int | None:
        ep, self._open = self._open, None
        if ep is None:
            return None
        if ep.n == 0:
            ep.discard()
            return None
        task_index = self.tasks.setdefault(ep.task, len(self.tasks))
        row, ep_stats = ep.save(self.total_frames, task_index, outcome)
        self.episodes.append(row)
        self.episode_stats.append(ep_stats)
        self.total_frames += ep.n
        self._write_meta()
        return ep.index

    def _write_meta(self) -> None:
        meta = self.root / "meta"
        info = layout.info(self.fps, self.features, self.robot_type, len(self.episodes), self.total_frames,
                           len(self.tasks))
        (self.root / layout.INFO_PATH).write_text(json.dumps(info, indent=2))
        _write_tasks(self.root / layout.TASKS_PATH, self.tasks)
        if self.episodes:
            _write_episodes(self.root / layout.EPISODES_PATH, self.episodes, self.episode_stats)
            merged = {k: stats.merge([s[k] for s in self.episode_stats]) for k in self.episode_stats[0]}
            (self.root / layout.STATS_PATH).write_text(json.dumps(stats.to_json(merged), indent=2))
        meta.mkdir(exist_ok=True)


class _Episode:
    """The frames of one step, on their way to disk."""

    def __init__(self, index: int, task: str, rec: DatasetRecorder) -> None:
        self.index, self.task, self.rec = index, task, rec
        self.states: list[np.ndarray] = []
        self.actions: list[np.ndarray] = []
        self.samples: dict[str, list[np.ndarray]] = {c: [] for c in rec.cameras}  # for image statistics
        self.videos: dict[str, VideoWriter] = {}
        self.last_images: dict[str, np.ndarray] = {}

    @property
    def n(self) -> int:
        return len(self.states)

    def add(self, obs: Observation, action: Action | np.ndarray, state: np.ndarray | None = None) -> None:
        if state is None:
            state = np.concatenate([np.asarray(obs.joints, np.float32), np.float32([obs.gripper])])
        state = np.asarray(state, np.float32).reshape(-1)
        if isinstance(action, Action):
            act = np.concatenate([np.asarray(action.joints, np.float32), np.float32([action.gripper])])
        else:
            act = np.asarray(action, np.float32).reshape(-1)
        for cam in self.rec.cameras:
            img = obs.images.get(cam, self.last_images.get(cam))
            if img is None:
                return  # a frame without its pictures is no use for training: skip it
            self.last_images[cam] = img
        for cam in self.rec.cameras:
            if cam not in self.videos:
                self.videos[cam] = VideoWriter(layout.video_file(self.rec.root, cam, self.index), self.rec.fps)
            self.videos[cam].add(self.last_images[cam])
            if self.n % 10 == 0:
                self.samples[cam].append(self.last_images[cam])
        self.states.append(state)
        self.actions.append(act)

    def discard(self) -> None:
        for v in self.videos.values():
            v.close()
            v.path.unlink(missing_ok=True)

    def save(self, first_index: int, task_index: int, outcome: Outcome | None) -> tuple[dict[str, Any], dict]:
        for v in self.videos.values():
            v.close()
        n, fps = self.n, self.rec.fps
        states, actions = np.stack(self.states), np.stack(self.actions)
        ts = (np.arange(n) / fps).astype(np.float32)
        dim = states.shape[1]
        table = pa.table({
            layout.STATE_KEY: pa.FixedSizeListArray.from_arrays(pa.array(states.reshape(-1), pa.float32()), dim),
            layout.ACTION_KEY: pa.FixedSizeListArray.from_arrays(pa.array(actions.reshape(-1), pa.float32()), dim),
            "timestamp": pa.array(ts, pa.float32()),
            "frame_index": pa.array(np.arange(n), pa.int64()),
            "episode_index": pa.array(np.full(n, self.index), pa.int64()),
            "index": pa.array(np.arange(first_index, first_index + n), pa.int64()),
            "task_index": pa.array(np.full(n, task_index), pa.int64()),
        })
        path = layout.data_file(self.rec.root, self.index)
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path, compression="snappy")
        ep_stats = {
            layout.STATE_KEY: stats.vector_stats(states), layout.ACTION_KEY: stats.vector_stats(actions),
            "timestamp": stats.vector_stats(ts), "frame_index": stats.vector_stats(np.arange(n)),
            "episode_index": stats.vector_stats(np.full(n, self.index)),
            "index": stats.vector_stats(np.arange(first_index, first_index + n)),
            "task_index": stats.vector_stats(np.full(n, task_index)),
        }
        for cam in self.rec.cameras:
            ep_stats[layout.image_key(cam)] = stats.image_stats(self.samples[cam])
        chunk, file = layout.chunk_file(self.index)
        row: dict[str, Any] = {
            "episode_index": self.index, "tasks": [self.task], "length": n,
            "data/chunk_index": chunk, "data/file_index": file,
            "dataset_from_index": first_index, "dataset_to_index": first_index + n,
        }
        for cam in self.rec.cameras:
            key = layout.image_key(cam)
            row.update({f"videos/{key}/chunk_index": chunk, f"videos/{key}/file_index": file,
                        f"videos/{key}/from_timestamp": 0.0, f"videos/{key}/to_timestamp": n / fps})
        row.update({"meta/episodes/chunk_index": 0, "meta/episodes/file_index": 0,
                    "hirobot/outcome": outcome.status.value if outcome is not None else "",
                    "hirobot/reason": outcome.reason if outcome is not None else ""})
        return row, ep_stats


def _write_tasks(path: Path, tasks: dict[str, int]) -> None:
    """tasks.parquet as pandas writes a frame indexed by the task string (what LeRobot reads)."""
    names = sorted(tasks, key=tasks.get)
    table = pa.table({"task_index": pa.array([tasks[t] for t in names], pa.int64()),
                      "__index_level_0__": pa.array(names, pa.string())})
    pandas_meta = {
        "index_columns": ["__index_level_0__"],
        "column_indexes": [{"name": None, "field_name": None, "pandas_type": "unicode", "numpy_type": "object",
                            "metadata": {"encoding": "UTF-8"}}],
        "columns": [
            {"name": "task_index", "field_name": "task_index", "pandas_type": "int64", "numpy_type": "int64",
             "metadata": None},
            {"name": None, "field_name": "__index_level_0__", "pandas_type": "unicode", "numpy_type": "object",
             "metadata": None},
        ],
        "creator": {"library": "pyarrow", "version": pa.__version__},
        "pandas_version": "2.2.3",
    }
    table = table.replace_schema_metadata({b"pandas": json.dumps(pandas_meta).encode()})
    pq.write_table(table, path)


def _write_episodes(path: Path, rows: list[dict[str, Any]], ep_stats: list[dict[str, dict[str, np.ndarray]]]) -> None:
    cols: dict[str, list] = {k: [r.get(k) for r in rows] for k in rows[0]}
    for key in ep_stats[0]:
        for s in stats.STAT_KEYS:
            cols[f"stats/{key}/{s}"] = [np.asarray(e[key][s]).tolist() for e in ep_stats]
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(cols), path)


class RecordingRobot:
    """A robot whose every act() is recorded with the observation it answered.

    Observations are rendered while an episode is open (the frames need the cameras), so the
    executor may run with render=False. Everything else is passed through to the robot.
    """

    def __init__(self, robot: Any, recorder: Any) -> None:
        self._robot = robot
        self._recorder = recorder
        self._last_obs: Observation | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._robot, name)

    def observe(self, render: bool = False) -> Observation:
        obs = self._robot.observe(render=render or self._recorder.recording)
        self._last_obs = obs
        return obs

    def act(self, action: Action) -> None:
        self._robot.act(action)
        if self._last_obs is not None and self._recorder.recording:
            native_state = getattr(self._robot, "policy_state", None)
            if native_state is not None:  # a LeRobot arm: recorded in its own units, as LeRobot records it
                self._recorder.on_tick(self._last_obs, self._robot.native_action(action),
                                       state=native_state(self._last_obs))
            else:
                self._recorder.on_tick(self._last_obs, action)
            self._last_obs = None  # one frame per observation: a repeated act() is not a new frame
