"""The pick-and-place routine shared by `place` and `put_back`.

approach above -> descend -> close -> lift (check it is held) -> carry -> descend -> release
-> retreat -> check the result. Every check reads the observation, so what the skill reports
is what happened: a slip or a miss is a failure with the reason, never a success.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from sim.kinds import GRIPPER_MAX_WIDTH
from sim.kinematics import heading
from sim.predicates import WorldState, bottom, top
from skills.api import Observation, ObjectState, Outcome, SkillContext, SkillFailure, SkillRun

from skills.builtin.motion import Motion, Slipped, grip_for_width, the
from skills.builtin.placement import (
    FINGER_TIP_BELOW_TCP, Hand, Spot, _symmetry, check_graspable, choose_yaw, gripper_clearance, grasp_height, grasp_yaw, natural_yaw,
    resting_on, width_across, yaw_candidates,
)


def world_of(obs: Observation) -> WorldState:
    return WorldState(objects=obs.objects)


def pick_and_place(ctx: SkillContext, name: str, plan: Callable[[ObjectState, dict[str, ObjectState], Hand], Spot],
                   verify: Callable[[Observation], str | None], done: str) -> SkillRun:
    """Move object `name` to the spot `plan` picks; `verify` returns None or what went wrong."""
    m = Motion(ctx, ctx.first_observation)
    obs = m.obs
    o = ctx.find(obs, name)
    name = o.name
    check_graspable(o)
    above = resting_on(o, obs.objects)
    if above:
        raise SkillFailure(f"{the(above[0])} is on top of {the(name)}; move it first")
    gyaw = grasp_yaw(o, obs.objects)
    gz = grasp_height(o)
    # Open 4 cm wider than the object, less when that would touch a neighbour or a bowl's wall.
    for margin in (0.04, 0.03, 0.02, 0.014):
        open_width = min(GRIPPER_MAX_WIDTH, width_across(o, gyaw) + margin)
        if gripper_clearance(o.pos[:2], gyaw, gz, open_width, obs.objects, {name}) >= 0.0:
            break
    g_open = grip_for_width(open_width)
    hand = Hand(heading(o.quat) - gyaw, _symmetry(o.kind), open_width, gz - bottom(o))
    spot = plan(o, obs.objects, hand)  # fail on an impossible placement before the arm moves

    tallest = max((top(x) for x in obs.objects.values()), default=0.0)
    z_travel = max(tallest + FINGER_TIP_BELOW_TCP + 0.05, 0.16)
    others_top = max((top(x) for x in obs.objects.values() if x.name != name), default=0.0)
    hang0 = gz - bottom(o)  # tool centre above the object's bottom once it is held
    z_carry = max(others_top + 0.05 + hang0, spot.bottom_z + hang0 + 0.06, 0.18)

    # Approach: open to just wider than the object so the fingers pass beside its neighbours.
    yield from m.gripper_to(g_open, 0.2)
    if m.pos[2] < z_travel - 0.01:  # first straight up, out of the way of everything
        yield from m.line_to([m.pos[0], m.pos[1], z_travel], speed=0.25)
    yield from m.line_to([o.pos[0], o.pos[1], z_travel], gyaw, speed=0.35)
    yield from m.line_to([o.pos[0], o.pos[1], gz], gyaw, speed=0.15)
    yield from m.settle()
    yield from m.gripper_to(1.0, 0.45)
    yield from m.wait(0.3)
    if not m.obs.contacts.get(name, False):
        yield from m.gripper_to(g_open, 0.2)
        yield from m.line_to([o.pos[0], o.pos[1], z_travel], speed=0.25)
        return Outcome.failure(f"could not get a grip on {the(name)}")

    m.holding = name
    try:
        yield from m.line_to([o.pos[0], o.pos[1], z_carry], speed=0.2)
        yield from m.wait(0.15)
        held = ctx.find(m.obs, name)
        if held.pos[2] < o.pos[2] + 0.03:
            raise Slipped(name)
        hang = float(m.obs.ee_pos[2] - bottom(held))
        rel = heading(held.quat) - m.yaw  # the object turns with the jaws
        prefer = natural_yaw(spot.xy) if spot.jaw_yaw is None else spot.jaw_yaw
        if spot.obj_yaw is not None:
            cands = yaw_candidates(spot.obj_yaw - rel, _symmetry(o.kind) or np.pi / 2, prefer)
        else:
            cands = yaw_candidates(m.yaw, None, prefer)  # the object may turn freely
        release_z = spot.bottom_z + hang
        pyaw = choose_yaw(spot.xy, release_z, open_width, cands, prefer, m.obs.objects, {name})
        z_carry = max(z_carry, spot.bottom_z + hang + 0.04)
        yield from m.line_to([spot.xy[0], spot.xy[1], z_carry], pyaw, speed=0.3)
        yield from m.line_to([spot.xy[0], spot.xy[1], release_z], speed=0.12)
        yield from m.settle()
    except Slipped:
        m.holding = None
        yield from m.gripper_to(g_open, 0.2)
        return Outcome.failure(f"{the(name)} slipped out of the gripper")
    m.holding = None

    yield from m.gripper_to(g_open if spot.open_width is None else grip_for_width(spot.open_width), 0.3)
    yield from m.wait(0.2)
    yield from m.line_to([spot.xy[0], spot.xy[1], max(z_carry, m.pos[2] + 0.08)], speed=0.25)
    yield from m.wait(0.4)
    problem = verify(m.obs)
    if problem:
        return Outcome.failure(f"missed the target: {problem}")
    final = ctx.find(m.obs, name)
    return Outcome.success(done, position=[round(float(v), 3) for v in final.pos])
