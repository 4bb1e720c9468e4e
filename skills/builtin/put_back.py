"""`put_back`: return an object to where it stood when the session began."""

from __future__ import annotations

import numpy as np

from skills.api import Skill, SkillContext, SkillFailure, SkillRun
from skills.builtin.args import PutBackArgs
from skills.builtin.motion import the
from skills.builtin.pickplace import pick_and_place
from skills.builtin.placement import spot_back

# How close to its start the object must end (the eval's near() allows 12 cm).
BACK_TOLERANCE = 0.07


class PutBackSkill(Skill):
    name = "put_back"
    description = (
        "Pick up an object and put it back where it stood at the start of the session (undo a move). "
        "Needs the start positions, which the session provides."
    )
    Args = PutBackArgs
    rate_hz = 20.0
    time_limit_s = 45.0

    def run(self, args: PutBackArgs, ctx: SkillContext) -> SkillRun:
        starts = ctx.extras.get("start_positions")
        if not starts:
            raise SkillFailure("put_back needs the start positions (ctx.extras['start_positions']); none were given")
        obj = ctx.find(ctx.first_observation, args.object)
        start = next((v for k, v in starts.items() if k.lower() == obj.name.lower()), None)
        if start is None:
            raise SkillFailure(f"no start position is known for {the(obj.name)}")
        start = np.asarray(start, float)

        def verify(o) -> str | None:
            d = float(np.linalg.norm(o.objects[obj.name].pos[:2] - start[:2]))
            return None if d <= BACK_TOLERANCE else f"{the(obj.name)} is {d * 100:.0f} cm from where it started"

        return (yield from pick_and_place(ctx, obj.name, lambda o, objs, hand: spot_back(o, start, objs, hand), verify,
                                          f"put {the(obj.name)} back where it was"))
