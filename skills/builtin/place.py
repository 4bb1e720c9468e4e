"""`place`: pick an object up and put it in, on, beside or near another one."""

from __future__ import annotations

from sim.predicates import check
from skills.api import Skill, SkillContext, SkillFailure, SkillRun
from skills.builtin.args import PlaceArgs
from skills.builtin.motion import the
from skills.builtin.pickplace import pick_and_place, world_of
from skills.builtin.placement import spot_beside, spot_in, spot_near, spot_on


class PlaceSkill(Skill):
    name = "place"
    description = (
        "Pick up one object and put it somewhere relative to another object, in one step: "
        "'in' a container (bin, basket, bowl), 'on' a surface or stack (tray, plate, block), "
        "'left_of' / 'right_of' it on the table (as the robot sees it, about 13 cm beside), or 'near' it "
        "(within about 8 cm). Bins, baskets, trays and plates cannot be picked up. Fails with the reason "
        "if the object slips or does not end where it was asked to."
    )
    Args = PlaceArgs
    rate_hz = 20.0
    time_limit_s = 45.0

    def run(self, args: PlaceArgs, ctx: SkillContext) -> SkillRun:
        obs = ctx.first_observation
        obj = ctx.find(obs, args.object)
        tgt = ctx.find(obs, args.target)
        if obj.name == tgt.name:
            raise SkillFailure(f"cannot put {the(obj.name)} {args.relation.replace('_', ' ')} itself")
        planners = {
            "in": lambda o, objs, hand: spot_in(o, objs[tgt.name], objs, hand),
            "on": lambda o, objs, hand: spot_on(o, objs[tgt.name], objs, hand),
            "left_of": lambda o, objs, hand: spot_beside(o, objs[tgt.name], +1.0, objs, hand),
            "right_of": lambda o, objs, hand: spot_beside(o, objs[tgt.name], -1.0, objs, hand),
            "near": lambda o, objs, hand: spot_near(o, objs[tgt.name], objs, hand),
        }
        expr = f"{args.relation}({obj.name}, {tgt.name})"
        words = {"in": "in", "on": "on", "left_of": "to the left of", "right_of": "to the right of", "near": "near"}
        goal = f"{the(obj.name)} {words[args.relation]} {the(tgt.name)}"

        def verify(o) -> str | None:
            return None if check(expr, world_of(o)) else f"{the(obj.name)} did not end up {words[args.relation]} {the(tgt.name)}"

        return (yield from pick_and_place(ctx, obj.name, planners[args.relation], verify, f"put {goal}"))
