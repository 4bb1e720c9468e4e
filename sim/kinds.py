"""What each kind of object is like in the simulator: size, mass, colour, role.

Pure data, no MuJoCo: the MJCF builder, the layout, the predicates and the scripted skills all
read this one table, so a cup is the same size everywhere.

Sizes are chosen for the gripper, whose fingers open to `GRIPPER_MAX_WIDTH`: every graspable
kind is narrower than that across the axis the fingers close on (a bowl is grasped across its
outer walls). The plate is deliberately wider than the gripper opens, so it is a surface
things go on, never something the robot lifts.

This is also the one place that says what each kind *is* for everyone who reasons about it:
whether it holds things inside (a container: things go `in` it) or on top (a surface: things
go `on` it), and whether the gripper lifts it. The simulator, perception, the scripted skills,
the rules planner and the model prompt read it through `relation_for`, `is_container`,
`is_surface`, `is_graspable`, `CONTAINERS`, `SURFACES`, `FIXED_KINDS` and `kind_facts`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

# The relation a kind takes as the target of a placement: things go `in` a container and `on` a
# surface; None for a kind nothing is put in or on.
Holds = Literal["in", "on"]

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
    holds: Holds | None = None  # what it takes as a target: in (container), on (surface), or nothing
    # Never lifted by any robot (furniture of the table). A plate is not fixed: a bigger gripper
    # may lift it, this simulator's cannot (graspable is False).
    fixed: bool = False
    wall: float = 0.0  # wall thickness of a container (0 for solids)
    floor: float = 0.0  # thickness of a container's or tray's base
    random_yaw: bool = False  # placed at a random heading when the scene does not fix one
    shape: str = "box"  # box, cylinder, cluster (how the MJCF builder models it)

    @property
    def half_arr(self) -> np.ndarray:
        return np.array(self.half, dtype=float)

    @property
    def is_container(self) -> bool:
        return self.holds == "in"

    @property
    def is_surface(self) -> bool:
        return self.holds == "on"

    @property
    def is_fixed(self) -> bool:
        return self.fixed


KINDS: dict[str, KindInfo] = {
    k.kind: k
    for k in [
        KindInfo("cup", (0.032, 0.032, 0.045), 0.12, "white", True, shape="cylinder"),
        KindInfo("can", (0.028, 0.028, 0.055), 0.15, "red", True, shape="cylinder"),
        # Blocks stack: one block goes on another.
        KindInfo("block", (0.022, 0.022, 0.022), 0.06, "red", True, holds="on", random_yaw=True),
        # A crumpled paper ball: a few overlapping spheres, so it does not roll away.
        KindInfo("trash", (0.029, 0.029, 0.024), 0.03, "white", True, shape="cluster"),
        # A flat fork with some height: handle plus a wider head; grasped on the handle.
        KindInfo("fork", (0.095, 0.016, 0.011), 0.05, "black", True, random_yaw=True, shape="fork"),
        KindInfo("bowl", (0.06, 0.06, 0.028), 0.15, "blue", True, holds="in", wall=0.008, floor=0.006,
                 shape="container"),
        KindInfo("plate", (0.085, 0.085, 0.008), 0.5, "white", False, holds="on", shape="cylinder"),
        KindInfo("bin", (0.11, 0.11, 0.065), 3.0, "black", False, holds="in", fixed=True,
                 wall=0.01, floor=0.01, shape="container"),
        KindInfo("basket", (0.11, 0.09, 0.04), 2.0, "orange", False, holds="in", fixed=True,
                 wall=0.008, floor=0.008, shape="container"),
        KindInfo("tray", (0.13, 0.10, 0.01), 2.0, "green", False, holds="on", fixed=True,
                 wall=0.008, floor=0.012, shape="tray"),
    ]
}


# Kinds that hold other objects inside them, kinds that hold things on top, and kinds no
# gripper lifts.
CONTAINERS: frozenset[str] = frozenset(k for k, i in KINDS.items() if i.holds == "in")
SURFACES: frozenset[str] = frozenset(k for k, i in KINDS.items() if i.holds == "on")
FIXED_KINDS: frozenset[str] = frozenset(k for k, i in KINDS.items() if i.fixed)


def relation_for(kind: str) -> Holds | None:
    """The relation a placement onto a `kind` takes: "in" a bin, basket or bowl, "on" a tray,
    plate or block; None for a kind nothing goes in or on (or a kind the simulator lacks)."""
    info = KINDS.get(kind)
    return info.holds if info else None


def is_container(kind: str) -> bool:
    return relation_for(kind) == "in"


def is_surface(kind: str) -> bool:
    return relation_for(kind) == "on"


def is_graspable(kind: str) -> bool:
    """Whether the gripper lifts this kind; False for kinds the simulator lacks."""
    info = KINDS.get(kind)
    return bool(info and info.graspable)


def kind_facts() -> list[dict[str, object]]:
    """One record per kind, for a prompt or its examples: what it is and the relation it takes."""
    return [{"kind": k, "holds": i.holds, "container": i.holds == "in", "surface": i.holds == "on",
             "graspable": i.graspable, "fixed": i.fixed} for k, i in KINDS.items()]


def describe_kinds() -> str:
    """The kinds in a sentence each, as a prompt states them ("bin: a container; things go in it;
    it stays where it is")."""
    lines = []
    for k, i in KINDS.items():
        role = ("a container; things go in it" if i.holds == "in" else
                "a surface; things go on it" if i.holds == "on" else "nothing goes in or on it")
        grip = "the gripper can pick it up" if i.graspable else "it stays where it is"
        lines.append(f"{k}: {role}; {grip}")
    return "\n".join(lines)


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
