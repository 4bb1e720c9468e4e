"""A first-order kinematic arm for executor tests: joints move toward their targets at a
bounded speed. It exercises the executor's timing and steering without physics."""

from __future__ import annotations

import threading

import numpy as np

from skills.api import Action, Observation


class KinematicArm:
    joint_names = [f"j{i}" for i in range(6)]

    def __init__(self, max_speed: float = 1.0) -> None:
        self.home_joints = np.zeros(6)
        self.q = self.home_joints.copy()
        self.target = self.q.copy()
        self.gripper = 0.0
        self.t = 0.0
        self.max_speed = max_speed
        self._lock = threading.Lock()

    def observe(self, render: bool = False) -> Observation:
        with self._lock:
            return Observation(t=self.t, joints=self.q.copy(), gripper=self.gripper, gripper_width=0.08,
                               ee_pos=np.zeros(3), ee_quat=np.array([1.0, 0, 0, 0]))

    def act(self, action: Action) -> None:
        with self._lock:
            self.target = np.asarray(action.joints, dtype=float).copy()
            self.gripper = float(action.gripper)

    def advance(self, dt: float) -> None:
        with self._lock:
            step = np.clip(self.target - self.q, -self.max_speed * dt, self.max_speed * dt)
            self.q = self.q + step
            self.t += dt

    def ik(self, pos, quat=None, seed=None):
        return np.zeros(6)

    def hold_action(self) -> Action:
        with self._lock:
            return Action(joints=self.q.copy(), gripper=self.gripper)
