"""Smooth arm motion for scripted skills: Cartesian lines solved by IK each tick, one action a tick.

Every move is a sub-generator (`yield from motion.line_to(...)`) that yields `Action`s at the
skill's rate and keeps the latest `Observation` in `motion.obs`. Lines use a cosine speed
profile so the servos are never asked for a jump; the tool stays pointing down and turns its
jaws by interpolating the yaw the short way round.
"""

from __future__ import annotations

import math

import numpy as np

from sim.kinds import GRIPPER_MAX_WIDTH
from sim.kinematics import quat_down, tool_yaw, wrap
from skills.api import Action, Observation, SkillContext, SkillFailure


class Slipped(Exception):
    """The object being carried is no longer between the fingers."""


def the(name: str) -> str:
    return name if name.lower().startswith("the ") else f"the {name}"


def grip_for_width(width: float) -> float:
    """Gripper command (0 open .. 1 closed) that leaves `width` metres between the pads."""
    return float(np.clip(1.0 - width / GRIPPER_MAX_WIDTH, 0.0, 1.0))


class Motion:
    def __init__(self, ctx: SkillContext, obs: Observation):
        self.ctx = ctx
        self.robot = ctx.robot
        self.dt = ctx.dt
        self.obs = obs
        self.q = np.array(obs.joints, float)  # the joint target we command, not the measured joints
        self.grip = float(obs.gripper)
        self.pos, quat = np.array(obs.ee_pos, float), obs.ee_quat
        self.yaw = tool_yaw(quat)
        self.holding: str | None = None  # name of the object that must stay between the fingers
        self._lost = 0

    def _tick(self):
        self.obs = yield Action(joints=self.q.copy(), gripper=self.grip)
        if self.holding is not None:
            held = self.obs.contacts.get(self.holding, False)
            self._lost = 0 if held else self._lost + 1
            if self._lost >= 3:  # three ticks (150 ms) without both fingers on it
                raise Slipped(self.holding)

    def ik(self, pos, yaw: float) -> np.ndarray:
        try:
            return np.asarray(self.robot.ik(np.asarray(pos, float), quat_down(yaw), seed=self.q), float)
        except ValueError as e:
            raise SkillFailure(f"cannot reach {np.round(np.asarray(pos), 2).tolist()}: {e}") from None

    def line_to(self, pos, yaw: float | None = None, speed: float = 0.25, min_time: float = 0.3):
        """Straight line of the tool centre point to `pos`, turning to `yaw` on the way."""
        pos = np.asarray(pos, float)
        yaw = self.yaw if yaw is None else float(yaw)
        p0, y0 = self.pos.copy(), self.yaw
        dyaw = wrap(yaw - y0)
        dist = float(np.linalg.norm(pos - p0))
        duration = max(min_time, dist / speed, abs(dyaw) / 1.5)
        n = max(1, math.ceil(duration / self.dt))
        # Solve the end first: an unreachable goal fails before the arm starts moving.
        self.ik(pos, y0 + dyaw)
        for k in range(1, n + 1):
            s = 0.5 - 0.5 * math.cos(math.pi * k / n)
            self.q = self.ik(p0 + s * (pos - p0), y0 + s * dyaw)
            yield from self._tick()
        self.pos, self.yaw = pos, wrap(y0 + dyaw)

    def joints_to(self, q_goal, vmax: float = 1.0, grip: float | None = None):
        """Joint-space move (for going home), gripper ramped alongside."""
        q0, q_goal = self.q.copy(), np.asarray(q_goal, float)
        g0 = self.grip
        n = max(2, math.ceil(2.0 * float(np.max(np.abs(q_goal - q0))) / (vmax * self.dt)))
        for k in range(1, n + 1):
            s = 0.5 - 0.5 * math.cos(math.pi * k / n)
            self.q = q0 + s * (q_goal - q0)
            if grip is not None:
                self.grip = g0 + s * (grip - g0)
            yield from self._tick()
        pos, quat = self.robot.fk(self.q) if hasattr(self.robot, "fk") else (self.obs.ee_pos, self.obs.ee_quat)
        self.pos, self.yaw = np.array(pos, float), tool_yaw(quat)

    def gripper_to(self, g: float, duration: float = 0.4):
        g0 = self.grip
        n = max(1, math.ceil(duration / self.dt))
        for k in range(1, n + 1):
            self.grip = g0 + (g - g0) * k / n
            yield from self._tick()

    def wait(self, seconds: float):
        for _ in range(max(1, math.ceil(seconds / self.dt))):
            yield from self._tick()

    def settle(self, tol: float = 0.01, max_s: float = 0.5):
        """Wait until the measured joints catch up with the targets (or `max_s` runs out)."""
        for _ in range(max(1, math.ceil(max_s / self.dt))):
            if float(np.max(np.abs(np.asarray(self.obs.joints) - self.q))) < tol:
                return
            yield from self._tick()
