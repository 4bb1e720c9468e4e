"""`home`: bring the arm to its rest pose with the gripper open."""

from __future__ import annotations

import numpy as np

from skills.api import Outcome, Skill, SkillContext, SkillRun
from skills.builtin.args import HomeArgs
from skills.builtin.motion import Motion


class HomeSkill(Skill):
    name = "home"
    description = "Move the arm back to its rest pose above the near edge of the table and open the gripper."
    Args = HomeArgs
    rate_hz = 20.0
    time_limit_s = 15.0

    def run(self, args: HomeArgs, ctx: SkillContext) -> SkillRun:
        m = Motion(ctx, ctx.first_observation)
        home = np.asarray(ctx.robot.home_joints, float)
        if m.pos[2] < 0.15:  # lift clear of the objects before swinging back
            yield from m.line_to([m.pos[0], m.pos[1], 0.2], speed=0.25)
        yield from m.joints_to(home, vmax=1.0, grip=0.0)
        yield from m.settle(tol=0.01, max_s=1.0)
        err = float(np.max(np.abs(np.asarray(m.obs.joints) - home)))
        if err > 0.05:
            return Outcome.failure(f"the arm stopped {err:.2f} rad short of its rest pose")
        return Outcome.success("the arm is at rest, gripper open")
