"""Perception from the simulator's own state: the test oracle (`--perception state`).

It describes the scene the way a perfect camera would: every object with its kind, colour,
position, whether it is held, and what it rests in or on. Vision-based perception offers the
same interface from the rendered images.
"""

from __future__ import annotations

import numpy as np

from agent.schema import SceneObject
from sim.kinds import kind_info
from sim.predicates import UNTOUCHED_MAX, WorldState, check, is_in, is_on
from sim.kinds import CONTAINERS, SURFACES


class StatePerception:
    name = "state"

    def __init__(self, robot) -> None:
        self.robot = robot

    def scene(self) -> list[SceneObject]:
        return describe(self.robot.state())

    def holds(self, predicate: str) -> bool:
        return check(predicate, self.robot.state())


def describe(state: WorldState) -> list[SceneObject]:
    out = []
    objs = state.objects
    for name, o in objs.items():
        support = None
        for other_name, other in objs.items():
            if other_name == name:
                continue
            if other.kind in CONTAINERS and is_in(o, other, state):
                support = other_name
                break
            if other.kind in SURFACES and is_on(o, other, state):
                support = other_name
        start = state.start.get(name)
        moved = name in state.ever_grasped or (
            start is not None and float(np.linalg.norm(np.asarray(o.pos) - np.asarray(start))) >= UNTOUCHED_MAX)
        out.append(SceneObject(name=name, kind=o.kind, color=o.color,
                               pos=tuple(round(float(v), 4) for v in o.pos),  # type: ignore[arg-type]
                               graspable=kind_info(o.kind).graspable, held=bool(o.grasped), inside=support,
                               moved=moved))
    return out
