"""Saving and restoring a simulated world, so a job whose process was killed resumes in the
world as it stood at the start of the step it was in.

Snapshots are keyed by how many steps were done when they were taken (`world-N.npz`): a step
that finishes writes N+1 before its checkpoint does, so the checkpoint (N or N+1 done, whichever
got written) always finds the world that goes with it."""

from __future__ import annotations

import os
from pathlib import Path

import mujoco
import numpy as np


def world_path(folder: str | Path, steps_done: int) -> Path:
    return Path(folder) / f"world-{int(steps_done)}.npz"


def latest_world(folder: str | Path, steps_done: int) -> Path | None:
    """The snapshot for a checkpoint with `steps_done` steps done: the newest not after it (a
    step refused before it ran moves nothing, so it leaves no snapshot of its own)."""
    best: tuple[int, Path] | None = None
    for p in Path(folder).glob("world-*.npz"):
        try:
            n = int(p.stem.split("-", 1)[1])
        except ValueError:
            continue
        if n <= steps_done and (best is None or n > best[0]):
            best = (n, p)
    return best[1] if best else None


def prune_worlds(folder: str | Path, keep_from: int) -> None:
    """Drop snapshots older than `keep_from` steps done: no checkpoint can ask for them."""
    for p in Path(folder).glob("world-*.npz"):
        try:
            n = int(p.stem.split("-", 1)[1])
        except ValueError:
            continue
        if n < keep_from:
            p.unlink(missing_ok=True)


def save_world(robot, path: str | Path) -> None:
    path = Path(path)
    with robot._lock:
        m, d = robot.model, robot.data
        size = mujoco.mj_stateSize(m, mujoco.mjtState.mjSTATE_INTEGRATION)
        state = np.empty(size)
        mujoco.mj_getState(m, d, state, mujoco.mjtState.mjSTATE_INTEGRATION)
        tmp = path.with_suffix(".tmp.npz")
        try:
            np.savez(tmp, state=state, ever_grasped=np.array(sorted(robot._ever_grasped), dtype=object),
                     gripper=np.array(robot._gripper_cmd))
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())  # on disk before the checkpoint that relies on it
        except OSError:
            tmp.unlink(missing_ok=True)  # a full disk: leave the previous snapshot, not half a new one
            raise
    tmp.replace(path)  # atomic: a kill mid-write leaves the previous snapshot


def load_world(robot, path: str | Path) -> None:
    data = np.load(Path(path), allow_pickle=True)
    with robot._lock:
        m, d = robot.model, robot.data
        mujoco.mj_setState(m, d, data["state"], mujoco.mjtState.mjSTATE_INTEGRATION)
        mujoco.mj_forward(m, d)
        robot._ever_grasped = set(str(x) for x in data["ever_grasped"])
        robot._gripper_cmd = float(data["gripper"])
