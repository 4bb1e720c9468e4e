"""Inverse kinematics: damped least squares on MuJoCo's site Jacobian, position and orientation.

The solver works on its own MjData so it never disturbs the running simulation, and can be
called from a skill's thread while physics steps in another.
"""

from __future__ import annotations

import threading

import os

os.environ.setdefault("MUJOCO_GL", "egl")

import mujoco  # noqa: E402
import numpy as np


class IKError(ValueError):
    """The pose cannot be reached (within tolerance) from any seed tried."""


def quat_down(yaw: float) -> np.ndarray:
    """Orientation (w, x, y, z) of a tool pointing straight down, jaws turned by `yaw` about z.

    A half turn about y (approach axis from up to down), then `yaw` about world z. With the arm
    stretched along +x and j6 at zero this is yaw 0, so the natural yaw over a point is the
    heading from the arm's base to it. The fingers close along (-sin yaw, cos yaw, 0).
    """
    qy = np.array([0.0, 0.0, 1.0, 0.0])
    qz = np.array([np.cos(yaw / 2), 0.0, 0.0, np.sin(yaw / 2)])
    out = np.zeros(4)
    mujoco.mju_mulQuat(out, qz, qy)
    return out


def _mat(quat) -> np.ndarray:
    m = np.zeros(9)
    mujoco.mju_quat2Mat(m, np.asarray(quat, float))
    return m.reshape(3, 3)


def heading(quat: np.ndarray) -> float:
    """Heading about world z of a frame's x axis (an object's yaw)."""
    m = _mat(quat)
    return float(np.arctan2(m[1, 0], m[0, 0]))


def tool_yaw(quat: np.ndarray) -> float:
    """The `yaw` of `quat_down(yaw)` for a tool orientation (read from its finger axis)."""
    m = _mat(quat)
    return float(np.arctan2(m[1, 1], m[0, 1]) - np.pi / 2)


def wrap(a: float) -> float:
    return float((a + np.pi) % (2 * np.pi) - np.pi)


def quat_error(target: np.ndarray, current: np.ndarray) -> np.ndarray:
    """Rotation vector (world frame) that turns `current` into `target`."""
    conj = np.zeros(4)
    mujoco.mju_negQuat(conj, current)
    diff = np.zeros(4)
    mujoco.mju_mulQuat(diff, target, conj)
    if diff[0] < 0:  # the short way round
        diff = -diff
    vel = np.zeros(3)
    mujoco.mju_quat2Vel(vel, diff, 1.0)
    return vel


class IKSolver:
    def __init__(self, model: mujoco.MjModel, site: str, joints: list[str],
                 pos_tol: float = 2e-3, rot_tol: float = 2e-2):
        self.model = model
        self.data = mujoco.MjData(model)
        self.site = model.site(site).id
        self.qadr = np.array([model.joint(j).qposadr[0] for j in joints])
        self.dadr = np.array([model.joint(j).dofadr[0] for j in joints])
        self.lo = model.jnt_range[[model.joint(j).id for j in joints], 0]
        self.hi = model.jnt_range[[model.joint(j).id for j in joints], 1]
        self.pos_tol, self.rot_tol = pos_tol, rot_tol
        self._lock = threading.Lock()

    def fk(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Tool centre point position and orientation at joint positions `q`."""
        with self._lock:
            self._set(q)
            return self._pose()

    def _set(self, q):
        self.data.qpos[self.qadr] = q
        mujoco.mj_kinematics(self.model, self.data)
        mujoco.mj_comPos(self.model, self.data)

    def _pose(self):
        pos = self.data.site_xpos[self.site].copy()
        quat = np.zeros(4)
        mujoco.mju_mat2Quat(quat, self.data.site_xmat[self.site])
        return pos, quat

    def _solve_from(self, pos, quat, q0, iters=150, damping=0.03):
        q = np.clip(np.array(q0, float), self.lo, self.hi)
        jacp = np.zeros((3, self.model.nv))
        jacr = np.zeros((3, self.model.nv))
        err = np.zeros(6 if quat is not None else 3)
        for _ in range(iters):
            self._set(q)
            cur_p, cur_q = self._pose()
            err[:3] = pos - cur_p
            if quat is not None:
                err[3:] = quat_error(quat, cur_q)
            pe = np.linalg.norm(err[:3])
            re = np.linalg.norm(err[3:]) if quat is not None else 0.0
            if pe < self.pos_tol * 0.25 and re < self.rot_tol * 0.25:
                break
            mujoco.mj_jacSite(self.model, self.data, jacp, jacr, self.site)
            J = jacp[:, self.dadr] if quat is None else np.vstack([jacp[:, self.dadr], jacr[:, self.dadr]])
            # Damped least squares: well-behaved near singularities and at the joint limits.
            dq = J.T @ np.linalg.solve(J @ J.T + damping**2 * np.eye(J.shape[0]), err)
            step = np.max(np.abs(dq))
            if step > 0.3:  # keep each step small so the linearisation stays honest
                dq *= 0.3 / step
            q = np.clip(q + dq, self.lo, self.hi)
        self._set(q)
        cur_p, cur_q = self._pose()
        pe = float(np.linalg.norm(pos - cur_p))
        re = float(np.linalg.norm(quat_error(quat, cur_q))) if quat is not None else 0.0
        return q, pe, re

    def solve(self, pos, quat=None, seeds: list[np.ndarray] = ()) -> np.ndarray:
        """Joint positions reaching `pos` (and `quat`), trying each seed until one converges."""
        pos = np.asarray(pos, float)
        quat = None if quat is None else np.asarray(quat, float) / np.linalg.norm(quat)
        best = None
        with self._lock:
            for seed in seeds:
                q, pe, re = self._solve_from(pos, quat, seed)
                if pe <= self.pos_tol and re <= self.rot_tol:
                    return q
                score = pe + 0.1 * re
                if best is None or score < best[0]:
                    best = (score, pe, re)
        if best is None:
            raise IKError("no seed given to the IK solver")
        raise IKError(f"pose {np.round(pos, 3).tolist()} is out of reach (best error {best[1] * 1000:.1f} mm, "
                      f"{np.degrees(best[2]):.1f} deg)")
