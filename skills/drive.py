"""Drive a skill in simulated time and wait for its outcome: one action, then `1/rate` seconds
of world, as fast as the world can be stepped (data generation, policy evaluation).

This is the executor's one skill loop on its lockstep clock, not a second loop: the same
deadlines, time limit, failure handling and bringing to rest as a live step.
"""

from __future__ import annotations

from pydantic import BaseModel

from skills.api import Outcome, Robot, Skill
from skills.executor import Executor, LockstepClock


def drive(skill: Skill, args: BaseModel, robot: Robot, instruction: str = "", extras: dict | None = None,
          render: bool = False) -> Outcome:
    outcome, _ = Executor(robot, clock=LockstepClock(), render=render).run(skill, args, instruction, extras)
    return outcome
