"""Drive a skill in lockstep with a robot's clock: one action, then `1/rate` seconds of world.

The executor does the same on a real-time clock in its own thread; this is the plain loop for
simulated time (evaluation, tests, data generation), where the world waits for the skill.
"""

from __future__ import annotations

from pydantic import BaseModel

from skills.api import Outcome, Robot, Skill, SkillContext, SkillFailure


def drive(skill: Skill, args: BaseModel, robot: Robot, instruction: str = "", extras: dict | None = None,
          render: bool = False) -> Outcome:
    rate = float(type(skill).rate_hz)
    obs = robot.observe(render=render)
    ctx = SkillContext(robot=robot, first_observation=obs, instruction=instruction, rate_hz=rate, extras=extras or {})
    gen = skill.run(args, ctx)
    limit_ticks = int(type(skill).time_limit_s * rate)
    try:
        action = next(gen)
        for _ in range(limit_ticks):
            robot.act(action)
            robot.advance(1.0 / rate)
            action = gen.send(robot.observe(render=render))
        gen.close()
        robot.act(robot.hold_action())
        return Outcome.failure(f"{skill.name} did not finish within {type(skill).time_limit_s:.0f} s")
    except StopIteration as stop:
        out = stop.value if isinstance(stop.value, Outcome) else Outcome.failure(f"{skill.name} ended without an outcome")
        return out
    except SkillFailure as e:
        robot.act(robot.hold_action())
        return Outcome.failure(str(e))
    except Exception as e:
        robot.act(robot.hold_action())
        return Outcome.failure(f"{skill.name} raised {type(e).__name__}: {e}")
