"""The push skill: close the gripper into a paddle, come down behind the object, slide it.

Everything it knows about the robot comes from hirobot's skill API: observations (the
object's pose, the tool's pose), `robot.ik` for Cartesian goals, and joint-target actions.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from skills import Action, Outcome, Skill, SkillFailure

# Table frame: +x away from the robot, +y to its left.
DIRECTIONS = {"left": (0.0, 1.0), "right": (0.0, -1.0), "forward": (1.0, 0.0), "back": (-1.0, 0.0)}
SPEED = 0.12  # m/s of the tool while pushing: slow enough that the object slides, not flies
TRAVEL_SPEED = 0.25  # m/s in free space
CLEAR = 0.10  # height above the object for the approach


class PushArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    object: str = Field(description="name of the object to push")
    direction: Literal["left", "right", "forward", "back"] = Field(
        description="which way, from the robot's point of view (forward is away from the robot)")
    distance_cm: float = Field(default=10.0, ge=2.0, le=25.0, description="how far to push it")


class PushSkill(Skill):
    name = "push"
    description = ("Push an object a short distance across the table (left, right, forward or back) "
                   "without picking it up. Good for things too big or awkward to grasp.")
    Args = PushArgs
    rate_hz = 20.0
    time_limit_s = 25.0

    def run(self, args: PushArgs, ctx):
        obs = ctx.first_observation
        obj = ctx.find(obs, args.object)
        start = np.asarray(obj.pos, float).copy()
        d = np.array([*DIRECTIONS[args.direction], 0.0])
        reach = float(np.max(obj.size[:2])) + 0.03  # stand off behind the object's far face
        height = max(float(obj.pos[2]) - 0.3 * float(obj.size[2]), 0.012)
        quat = np.asarray(obs.ee_quat, float)  # keep the tool's orientation (pointing down)
        behind = start - d * reach
        behind[2] = height
        above = behind.copy()
        above[2] = height + CLEAR
        goal = start + d * (args.distance_cm / 100.0 - reach + 0.01)
        goal[2] = height
        q = np.asarray(obs.joints, float)
        path = [(np.asarray(obs.ee_pos, float), above, TRAVEL_SPEED), (above, behind, TRAVEL_SPEED),
                (behind, goal, SPEED)]
        retreat = goal.copy()
        retreat[2] = height + CLEAR
        path.append((goal, retreat, TRAVEL_SPEED))
        for a, b, speed in path:
            n = max(2, int(np.ceil(np.linalg.norm(b - a) / (speed * ctx.dt))))
            for s in np.linspace(0.0, 1.0, n)[1:]:
                try:
                    q = ctx.robot.ik(a + (b - a) * s, quat, seed=q)
                except Exception as e:
                    raise SkillFailure(f"cannot reach the push path: {e}") from None
                obs = yield Action(joints=q, gripper=1.0)
        for _ in range(int(0.5 * ctx.rate_hz)):  # let the object settle before judging
            obs = yield Action(joints=q, gripper=1.0)
        moved = float(np.dot(ctx.find(obs, args.object).pos[:2] - start[:2], d[:2]))
        if moved < 0.5 * args.distance_cm / 100.0:
            return Outcome.failure(f"the {args.object} moved only {moved * 100:.1f} cm {args.direction}",
                                   moved_cm=round(moved * 100, 1))
        return Outcome.success(f"pushed the {args.object} {moved * 100:.1f} cm {args.direction}",
                               moved_cm=round(moved * 100, 1))
