"""Saving and restoring a simulated world, so a job whose process was killed resumes in the
world as it stood at the start of the step it was in."""

from __future__ import annotations

from pathlib import Path

import mujoco
import numpy as np


def save_world(robot, path: str | Path) -> None:
    path = Path(path)
    with robot._lock:
        m, d = robot.model, robot.data
        size = mujoco.mj_stateSize(m, mujoco.mjtState.mjSTATE_INTEGRATION)
        state = np.empty(size)
        mujoco.mj_getState(m, d, state, mujoco.mjtState.mjSTATE_INTEGRATION)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, state=state, ever_grasped=np.array(sorted(robot._ever_grasped), dtype=object),
                 gripper=np.array(robot._gripper_cmd))
    tmp.replace(path)  # atomic: a kill mid-write leaves the previous snapshot


def load_world(robot, path: str | Path) -> None:
    data = np.load(Path(path), allow_pickle=True)
    with robot._lock:
        m, d = robot.model, robot.data
        mujoco.mj_setState(m, d, data["state"], mujoco.mjtState.mjSTATE_INTEGRATION)
        mujoco.mj_forward(m, d)
        robot._ever_grasped = set(str(x) for x in data["ever_grasped"])
        robot._gripper_cmd = float(data["gripper"])
