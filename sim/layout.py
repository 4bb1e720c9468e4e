"""Where objects start: named regions of the table and seeded, non-overlapping random spots.

Everything stays inside `WORKSPACE`, the part of the table the arm reaches with its gripper
pointing down. Footprints are axis-aligned boxes of the (possibly yawed) objects, grown by a
clearance that leaves room for the open fingers between neighbours.
"""

from __future__ import annotations

import numpy as np

from sim.kinds import kind_info
from sim.mjcf import Placement
from sim.scenario import SceneSpec, ScenarioError

# (x_min, x_max, y_min, y_max) of object centres and footprints, in the table frame.
WORKSPACE = (-0.23, 0.25, -0.36, 0.36)
# Centres of the named regions: front is near the robot (small x), left is +y.
_RX, _RY = 0.13, 0.25
REGIONS: dict[str, tuple[float, float]] = {
    "center": (0.0, 0.0),
    "left": (0.0, _RY),
    "right": (0.0, -_RY),
    "front": (-_RX, 0.0),
    "back": (_RX, 0.0),
    "front-left": (-_RX, _RY),
    "front-right": (-_RX, -_RY),
    "back-left": (_RX, _RY),
    "back-right": (_RX, -_RY),
}
# Gap kept between footprints so an opened gripper fits beside an object.
CLEARANCE = 0.035


def footprint(kind: str, yaw: float) -> np.ndarray:
    """Half-extents (x, y) of the axis-aligned box around the object at heading `yaw`."""
    hx, hy, _ = kind_info(kind).half
    c, s = abs(np.cos(yaw)), abs(np.sin(yaw))
    return np.array([c * hx + s * hy, s * hx + c * hy])


def overlaps(xy, half, others: list[tuple[np.ndarray, np.ndarray]], clearance: float = CLEARANCE) -> bool:
    for oxy, ohalf in others:
        if np.all(np.abs(np.asarray(xy) - oxy) < np.asarray(half) + ohalf + clearance):
            return True
    return False


def inside_workspace(xy, half) -> bool:
    x0, x1, y0, y1 = WORKSPACE
    return x0 + half[0] <= xy[0] <= x1 - half[0] and y0 + half[1] <= xy[1] <= y1 - half[1]


def free_spot(rng: np.random.Generator, half, taken: list[tuple[np.ndarray, np.ndarray]],
              around: tuple[float, float] | None = None, radius: float = 0.0, tries: int = 600,
              clearance: float = CLEARANCE) -> np.ndarray | None:
    """A random centre for a footprint of half-extents `half` that overlaps nothing in `taken`.

    With `around`, the first try is that point, then spots within `radius` of it, widening.
    """
    x0, x1, y0, y1 = WORKSPACE
    for i in range(tries):
        if around is not None:
            if i == 0:
                xy = np.array(around, float)
            else:
                r = radius * (1 + 2 * i / tries)
                xy = np.array(around, float) + rng.uniform(-r, r, size=2)
            xy = np.clip(xy, [x0 + half[0], y0 + half[1]], [x1 - half[0], y1 - half[1]])
        else:
            if x1 - x0 < 2 * half[0] or y1 - y0 < 2 * half[1]:
                return None
            xy = np.array([rng.uniform(x0 + half[0], x1 - half[0]), rng.uniform(y0 + half[1], y1 - half[1])])
        if inside_workspace(xy, half) and not overlaps(xy, half, taken, clearance):
            return xy
    return None


def layout(scene: SceneSpec) -> list[Placement]:
    """Start placements for every object of `scene`, in the scene's order. Same seed, same layout.

    Objects with a region go first (in order), then the rest from the largest down, so big
    containers find room before small things fill the table.
    """
    for o in scene.objects:
        kind_info(o.kind)  # a clear error for a kind the simulator cannot build
    # Random spots can box a big container out; then the whole layout is drawn again from a
    # seed derived from the scene's, so the result stays reproducible.
    problem = None
    for attempt in range(25):
        rng = np.random.default_rng(scene.seed if attempt == 0 else [scene.seed, attempt])
        try:
            return _layout_once(scene, rng)
        except _NoRoom as e:
            problem = e
            if any(o.at for o in scene.objects if o.name == e.name) and all(o.at for o in scene.objects):
                break
    raise LayoutError(f"{problem}; use fewer objects, or smaller ones, or leave out their regions")


class LayoutError(ScenarioError):
    """The scene's objects do not fit on the table."""


class _NoRoom(Exception):
    def __init__(self, name: str, message: str):
        super().__init__(message)
        self.name = name


def _layout_once(scene: SceneSpec, rng: np.random.Generator) -> list[Placement]:
    order = [i for i, o in enumerate(scene.objects) if o.at] + sorted(
        (i for i, o in enumerate(scene.objects) if not o.at),
        key=lambda i: -np.prod(kind_info(scene.objects[i].kind).half[:2]),
    )
    taken: list[tuple[np.ndarray, np.ndarray]] = []
    out: dict[int, Placement] = {}
    for i in order:
        o = scene.objects[i]
        info = kind_info(o.kind)
        yaw = float(rng.uniform(-np.pi / 2, np.pi / 2)) if info.random_yaw else 0.0
        half = footprint(o.kind, yaw)
        if o.at:
            cx, cy = REGIONS[o.at]
            jitter = rng.uniform(-0.015, 0.015, size=2)
            xy = free_spot(rng, half, taken, around=(cx + jitter[0], cy + jitter[1]), radius=0.04)
        else:
            xy = free_spot(rng, half, taken)
            # A long object at a slant has a big bounding box: on a crowded table, square it up.
            for square_yaw in ((0.0, np.pi / 2) if xy is None and info.random_yaw else ()):
                yaw = square_yaw
                half = footprint(o.kind, yaw)
                xy = free_spot(rng, half, taken)
                if xy is not None:
                    break
        if xy is None:
            where = f"in the {o.at} region" if o.at else "on the table"
            raise _NoRoom(o.name, f"no free spot {where} for {o.name!r}: the scene has too many objects")
        taken.append((xy, half))
        out[i] = Placement(o.name, o.kind, o.color, float(xy[0]), float(xy[1]), yaw)
    return [out[i] for i in range(len(scene.objects))]
