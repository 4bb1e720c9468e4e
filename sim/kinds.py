"""What each kind of object is like in the simulator: size, mass, colour, role.

Pure data, no MuJoCo: the MJCF builder, the layout, the predicates and the scripted skills all
read this one table, so a cup is the same size everywhere.

Sizes are chosen for the gripper, whose fingers open to `GRIPPER_MAX_WIDTH`: every graspable
kind is narrower than that across the axis the fingers close on (a bowl is grasped across its
outer walls). The plate is deliberately wider than the gripper opens, so it is a surface
things go on, never something the robot lifts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.scenario import CONTAINERS, FIXED_KINDS, SURFACES

# Distance between the finger pads when the gripper is fully open (metres).
GRIPPER_MAX_WIDTH = 0.15

COLOR_RGBA: dict[str, tuple[float, float, float, float]] = {
    "red": (0.85, 0.12, 0.10, 1.0),
    "green": (0.15, 0.65, 0.20, 1.0),
    "blue": (0.12, 0.30, 0.85, 1.0),
    "yellow": (0.95, 0.85, 0.10, 1.0),
    "white": (0.93, 0.93, 0.90, 1.0),
    "black": (0.08, 0.08, 0.09, 1.0),
    "orange": (0.98, 0.50, 0.05, 1.0),
    "purple": (0.50, 0.18, 0.65, 1.0),
}


@dataclass(frozen=True)
class KindInfo:
    kind: str
    half: tuple[float, float, float]  # half-extents of the bounding box in the object's frame
    mass: float
    default_color: str
    graspable: bool
    wall: float = 0.0  # wall thickness of a container (0 for solids)
    floor: float = 0.0  # thickness of a container's or tray's base
    random_yaw: bool = False  # placed at a random heading when the scene does not fix one
    shape: str = "box"  # box, cylinder, cluster (how the MJCF builder models it)

    @property
    def half_arr(self) -> np.ndarray:
        return np.array(self.half, dtype=float)

    @property
    def is_container(self) -> bool:
        return self.kind in CONTAINERS

    @property
    def is_surface(self) -> bool:
        return self.kind in SURFACES

    @property
    def is_fixed(self) -> bool:
        return self.kind in FIXED_KINDS


KINDS: dict[str, KindInfo] = {
    k.kind: k
    for k in [
        KindInfo("cup", (0.032, 0.032, 0.045), 0.12, "white", True, shape="cylinder"),
        KindInfo("can", (0.028, 0.028, 0.055), 0.15, "red", True, shape="cylinder"),
        KindInfo("block", (0.022, 0.022, 0.022), 0.06, "red", True, random_yaw=True),
        # A crumpled paper ball: a few overlapping spheres, so it does not roll away.
        KindInfo("trash", (0.029, 0.029, 0.024), 0.03, "white", True, shape="cluster"),
        # A flat fork with some height: handle plus a wider head; grasped on the handle.
        KindInfo("fork", (0.095, 0.016, 0.011), 0.05, "black", True, random_yaw=True, shape="fork"),
        KindInfo("bowl", (0.06, 0.06, 0.028), 0.15, "blue", True, wall=0.008, floor=0.006, shape="container"),
        KindInfo("plate", (0.085, 0.085, 0.008), 0.5, "white", False, shape="cylinder"),
        KindInfo("bin", (0.11, 0.11, 0.065), 3.0, "black", False, wall=0.01, floor=0.01, shape="container"),
        KindInfo("basket", (0.11, 0.09, 0.04), 2.0, "orange", False, wall=0.008, floor=0.008, shape="container"),
        KindInfo("tray", (0.13, 0.10, 0.01), 2.0, "green", False, wall=0.008, floor=0.012, shape="tray"),
    ]
}


def kind_info(kind: str) -> KindInfo:
    """The simulator's model of `kind`, or a ValueError that lists the kinds it has."""
    try:
        return KINDS[kind]
    except KeyError:
        raise ValueError(
            f"the simulator has no model for an object of kind {kind!r}; it knows: {', '.join(sorted(KINDS))}"
        ) from None


def rgba(color: str | None, kind: str) -> tuple[float, float, float, float]:
    name = color or kind_info(kind).default_color
    try:
        return COLOR_RGBA[name]
    except KeyError:
        raise ValueError(f"unknown colour {name!r}; known: {', '.join(COLOR_RGBA)}") from None
