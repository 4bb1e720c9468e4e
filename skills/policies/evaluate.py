"""Success of a policy, and of the scripted skill, on the same seeded scenes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from skills.api import Outcome
from skills.policies.base import Policy
from skills.policies.demos import task_for


@dataclass
class EpisodeResult:
    seed: int
    ok: bool
    reason: str
    seconds: float  # simulated
    detail: dict[str, Any] = field(default_factory=dict)


def run_scripted(seed: int) -> EpisodeResult:
    from sim.robot import SimRobot
    from skills.builtin.args import PlaceArgs
    from skills.builtin.place import PlaceSkill
    from skills.drive import drive

    task = task_for(seed)
    robot = SimRobot(task.scene)
    out = drive(PlaceSkill(), PlaceArgs(object=task.object, relation="in", target=task.target), robot,
                instruction=task.instruction)
    res = EpisodeResult(seed, out.ok, out.reason, robot.observe().t)
    robot.close()
    return res


def run_policy(seed: int, policy: Policy, max_seconds: float = 20.0, blend_ticks: int = 4) -> EpisodeResult:
    """One episode of `policy` in lockstep (blocking mode: the result does not depend on host speed)."""
    from sim.robot import SimRobot
    from skills.drive import drive
    from skills.policies.args import PolicyArgs
    from skills.policies.skill import PolicySkill

    task = task_for(seed)
    robot = SimRobot(task.scene)
    args = PolicyArgs(object=task.object, relation="in", target=task.target, policy="under-test",
                      max_seconds=max_seconds)
    out: Outcome = drive(PolicySkill(), args, robot, instruction=task.instruction, render=True,
                         extras={"policies": {"under-test": policy}, "policy_blocking": True,
                                 "policy_blend_ticks": blend_ticks})
    res = EpisodeResult(seed, out.ok, out.reason, robot.observe().t, dict(out.detail))
    robot.close()
    return res
