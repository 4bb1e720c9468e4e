"""Where to grasp an object and where to set it down, from the objects' observed poses.

Pure geometry on `ObjectState`s: grasp yaw and height, the spot inside a container, on a
surface, beside or near a target, with free-space checks against everything else on the table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.kinds import GRIPPER_MAX_WIDTH, kind_info
from sim.kinematics import heading, wrap
from sim.layout import WORKSPACE, footprint
from sim.mjcf import BASE_POS
from sim.predicates import NEAR_MAX, SIDE_MAX, SIDE_RATIO, bottom, top, world_half
from skills.api import ObjectState, SkillFailure

from skills.builtin.motion import the

# Lowest tool-centre height: the finger tips stay a few millimetres above the table.
MIN_GRASP_Z = 0.024
# The palm is this far above the tool centre point; keep it clear of an object's top.
PALM_ABOVE_TCP = 0.035


def natural_yaw(xy) -> float:
    """Jaw yaw that leaves the wrist roll near zero: the heading from the arm's base."""
    return float(np.arctan2(xy[1] - BASE_POS[1], xy[0] - BASE_POS[0]))


def _symmetry(kind: str) -> float | None:
    """Period of the yaws at which the jaws can close on this kind (None: any yaw)."""
    shape = kind_info(kind).shape
    if shape in ("cylinder", "cluster"):
        return None
    if kind == "fork":
        return np.pi  # across the handle only
    return np.pi / 2  # square things: either pair of faces


def nearest_yaw(base: float, period: float | None, prefer: float) -> float:
    """The yaw in {base + k*period} closest to `prefer` (or `prefer` itself if any yaw works)."""
    if period is None:
        return wrap(prefer)
    k = round((prefer - base) / period)
    return wrap(base + k * period)


# The hand seen from above: the palm is a bar across the jaw axis, the fingers hang below it.
PALM_HALF_SPAN = 0.1
PALM_HALF_DEPTH = 0.035
PALM_ABOVE_TIPS = 0.07
FINGER_TIP_BELOW_TCP = 0.022


def boxes_of(o: ObjectState) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """The object as rectangles seen from above (centre, half-extents, heading): a container's
    four walls separately, so a hand reaching into it only has to clear the walls."""
    yaw = heading(o.quat)
    hx, hy = float(o.size[0]), float(o.size[1])
    info = kind_info(o.kind)
    if not info.is_container:
        return [(o.pos[:2], np.array([hx, hy]), yaw)]
    w = info.wall / 2
    c, s_ = np.cos(yaw), np.sin(yaw)
    R = np.array([[c, -s_], [s_, c]])
    walls = [((hx - w, 0.0), (w, hy)), ((-hx + w, 0.0), (w, hy)), ((0.0, hy - w), (hx, w)), ((0.0, -hy + w), (hx, w))]
    return [(o.pos[:2] + R @ np.array(ctr), np.array(half), yaw) for ctr, half in walls]


def _dist_to_box(p, centre, half, yaw) -> float:
    c, s_ = np.cos(yaw), np.sin(yaw)
    d = np.asarray(p, float) - centre
    local = np.array([c * d[0] + s_ * d[1], -s_ * d[0] + c * d[1]])
    return float(np.linalg.norm(np.maximum(np.abs(local) - half, 0.0)))


def gripper_clearance(xy, yaw: float, tcp_z: float, open_width: float, objects: dict[str, ObjectState],
                      skip: set[str]) -> float:
    """Smallest horizontal gap between the hand (palm and open fingers) and other objects,
    counting only objects tall enough to reach the part of the hand above them."""
    f = np.array([-np.sin(yaw), np.cos(yaw)])
    tips = tcp_z - FINGER_TIP_BELOW_TCP
    finger_pts = [np.asarray(xy) + s * f for s in (-(open_width / 2 + 0.01), open_width / 2 + 0.01)]
    palm_pts = [np.asarray(xy) + s * f for s in np.linspace(-PALM_HALF_SPAN, PALM_HALF_SPAN, 9)]
    gap = 1.0
    for o in objects.values():
        if o.name in skip:
            continue
        t = top(o)
        for pts, low, r in ((finger_pts, tips, 0.015), (palm_pts, tips + PALM_ABOVE_TIPS, PALM_HALF_DEPTH)):
            if t < low:
                continue
            for centre, half, byaw in boxes_of(o):
                for p in pts:
                    gap = min(gap, _dist_to_box(p, centre, half, byaw) - r)
    return gap


def yaw_candidates(base: float, period: float | None, prefer: float) -> list[float]:
    """Jaw yaws within a quarter turn of `prefer` that suit the object's symmetry."""
    if period is None:
        return [wrap(prefer + np.radians(d)) for d in range(-90, 91, 15)]
    out = []
    k0 = round((prefer - base) / period)
    for k in range(k0 - 4, k0 + 5):
        y = base + k * period
        if abs(y - prefer) <= np.pi / 2 + 1e-6:
            out.append(wrap(y))
    return out or [nearest_yaw(base, period, prefer)]


def choose_yaw(xy, tcp_z: float, open_width: float, candidates: list[float], prefer: float,
               objects: dict[str, ObjectState], skip: set[str]) -> float:
    """The candidate yaw that keeps the hand clear of its neighbours, closest to `prefer`."""
    def score(y: float) -> float:
        clear = gripper_clearance(xy, y, tcp_z, open_width, objects, skip)
        return min(clear, 0.02) - 0.005 * abs(wrap(y - prefer))
    return max(candidates, key=score)


def grasp_yaw(o: ObjectState, objects: dict[str, ObjectState] | None = None) -> float:
    # Jaws close along (-sin yaw, cos yaw): that is the object's local y when yaw = heading.
    prefer = natural_yaw(o.pos)
    period = _symmetry(o.kind)
    if not objects:
        return nearest_yaw(heading(o.quat), period, prefer)
    cands = yaw_candidates(heading(o.quat), period, prefer)
    return choose_yaw(o.pos[:2], grasp_height(o), min(GRIPPER_MAX_WIDTH, width_across(o, cands[0]) + 0.04),
                      cands, prefer, objects, {o.name})


def width_across(o: ObjectState, yaw: float) -> float:
    """How wide the object is along the jaws' closing direction at grasp yaw `yaw`."""
    hx, hy, _ = o.size
    if kind_info(o.kind).shape in ("cylinder", "cluster"):
        return 2 * max(hx, hy)
    rel = yaw - heading(o.quat)
    return float(2 * (abs(np.sin(rel)) * hx + abs(np.cos(rel)) * hy))


def grasp_height(o: ObjectState) -> float:
    return float(max(o.pos[2], top(o) - PALM_ABOVE_TCP - 0.005, bottom(o) + MIN_GRASP_Z))


def check_graspable(o: ObjectState) -> None:
    info = kind_info(o.kind)
    if not info.graspable:
        why = "it is wider than the gripper opens" if o.kind == "plate" else "it stays where it is"
        raise SkillFailure(f"{the(o.name)} cannot be picked up ({why})")
    if width_across(o, grasp_yaw(o)) > GRIPPER_MAX_WIDTH - 0.01:
        raise SkillFailure(f"{the(o.name)} is too wide for the gripper")


def resting_on(o: ObjectState, objects: dict[str, ObjectState]) -> list[str]:
    """Names of objects standing on top of `o`."""
    out = []
    for other in objects.values():
        if other.name == o.name:
            continue
        d = np.abs(other.pos[:2] - o.pos[:2])
        if np.all(d < world_half(o)[:2] + 0.5 * world_half(other)[:2]) and abs(bottom(other) - top(o)) < 0.02:
            out.append(other.name)
    return out


def support_top(t: ObjectState) -> float:
    """Height of the surface things rest on: a tray's floor, else the top of the object."""
    info = kind_info(t.kind)
    if t.kind == "tray":
        return bottom(t) + info.floor
    return top(t)


@dataclass
class Hand:
    """How the object sits in the hand, known before the arm moves: enough to check that the
    open fingers and the palm will clear the neighbours where the object is set down."""

    rel_yaw: float  # object heading minus jaw yaw
    period: float | None  # symmetry of the object's footprint
    open_width: float
    hang: float  # tool centre height above the object's bottom

    def jaw_yaw(self, xy, bottom_z: float, obj_yaw: float | None, objects, skip: set[str]) -> float | None:
        """A jaw yaw that releases at (xy, bottom_z) without touching anything else, or None."""
        found = self.release(xy, bottom_z, obj_yaw, objects, skip)
        return None if found is None else found[0]

    def release(self, xy, bottom_z: float, obj_yaw: float | None, objects, skip: set[str]):
        """(jaw yaw, opening) to let go at (xy, bottom_z) touching nothing else, or None.
        In a tight gap the fingers open less: just enough to let go."""
        prefer = natural_yaw(xy)
        if obj_yaw is None:
            cands = yaw_candidates(prefer, None, prefer)
        else:
            cands = yaw_candidates(obj_yaw - self.rel_yaw, self.period or np.pi / 2, prefer)
        tcp_z = bottom_z + self.hang
        for width in (self.open_width, self.open_width - 0.02):
            best = choose_yaw(xy, tcp_z, width, cands, prefer, objects, skip)
            if gripper_clearance(xy, best, tcp_z, width, objects, skip) >= 0.0:
                return best, width
        return None


@dataclass
class Spot:
    xy: np.ndarray
    bottom_z: float  # where the object's bottom should be when released
    obj_yaw: float | None = None  # desired heading of the object, if it matters
    jaw_yaw: float | None = None  # the jaw yaw the spot was checked with
    open_width: float | None = None  # how far to open to let go there (None: as for the grasp)


def _fits(o: ObjectState, c: ObjectState) -> bool:
    inner = np.sort(np.asarray(c.size[:2]) - kind_info(c.kind).wall)
    need = np.sort(np.asarray(o.size[:2]))
    return bool(np.all(need <= inner - 0.002))


def spot_in(o: ObjectState, c: ObjectState, objects: dict[str, ObjectState], hand: Hand | None = None) -> Spot:
    if not kind_info(c.kind).is_container:
        raise SkillFailure(f"{the(c.name)} is not a container, nothing can go in it")
    if not _fits(o, c):
        raise SkillFailure(f"{the(o.name)} does not fit in {the(c.name)}")
    info = kind_info(c.kind)
    elongated = o.size[0] > 1.5 * o.size[1]
    obj_yaw = heading(c.quat) if elongated else None  # long things lie along the long side
    ohalf = np.asarray(o.size[:2]) if elongated else np.full(2, max(o.size[0], o.size[1]))
    room = np.maximum(np.asarray(c.size[:2]) - info.wall - ohalf - 0.006, 0.0)
    cy, sy = np.cos(heading(c.quat)), np.sin(heading(c.quat))
    R = np.array([[cy, -sy], [sy, cy]])
    contents = [p.pos[:2] for p in objects.values()
                if p.name not in (o.name, c.name) and np.all(np.abs(R.T @ (p.pos[:2] - c.pos[:2])) < c.size[:2])]
    best, best_score = c.pos[:2].copy(), -np.inf
    for u in np.linspace(-1, 1, 5):
        for v in np.linspace(-1, 1, 5):
            xy = c.pos[:2] + R @ (np.array([u, v]) * room)
            clear = min((float(np.linalg.norm(xy - p)) for p in contents), default=1.0)
            score = min(clear, 0.12) - 0.01 * float(np.hypot(u, v))  # room first, then the middle
            if score > best_score:
                best, best_score = xy, score
    return Spot(best, top(c) + 0.015, obj_yaw)


def spot_on(o: ObjectState, t: ObjectState, objects: dict[str, ObjectState], hand: Hand | None = None) -> Spot:
    info = kind_info(t.kind)
    if info.is_container:
        raise SkillFailure(f"{the(t.name)} is a container: things go in it, not on it")
    if not info.is_surface:
        raise SkillFailure(f"nothing can be put on {the(t.name)}, it is not a surface")
    on_it = [n for n in resting_on(t, objects) if n != o.name]
    if t.kind == "block":
        if on_it:
            raise SkillFailure(f"{the(t.name)} already has {the(on_it[0])} on it")
        # Square on square, so the stack stands.
        return Spot(t.pos[:2].copy(), support_top(t) + 0.004, heading(t.quat) if o.kind == "block" else None)
    bottom_z = support_top(t) + 0.008  # finger tips then pass just over a tray's rim
    tyaw = heading(t.quat)
    elongated = o.size[0] > 1.5 * o.size[1]
    obj_yaw = tyaw if elongated else None  # a fork lies along the tray's long side
    ohalf = np.asarray(o.size[:2]) if elongated else np.full(2, max(o.size[0], o.size[1]))
    inner = np.asarray(t.size[:2]) - (info.wall if t.kind == "tray" else 0.0)
    if t.kind == "plate":
        inner = inner / np.sqrt(2)  # stay within the round plate
    room = np.maximum(inner - ohalf - 0.004, 0.0)
    c, s_ = np.cos(tyaw), np.sin(tyaw)
    R = np.array([[c, -s_], [s_, c]])
    others = [objects[n] for n in on_it]
    best, best_score = None, -np.inf
    for u in np.linspace(-1, 1, 7):
        for v in np.linspace(-1, 1, 7):
            xy = t.pos[:2] + R @ (np.array([u, v]) * room)
            if any(_overlap(xy, ohalf, tyaw if elongated else 0.0, _is_round(o.kind),
                            x.pos[:2], np.asarray(x.size[:2]), heading(x.quat), _is_round(x.kind), 0.008)
                   for x in others):
                continue
            jaw = None
            if hand is not None:
                jaw = hand.jaw_yaw(xy, bottom_z, obj_yaw, objects, {o.name, t.name})
                if jaw is None:
                    continue
            clear = min((float(np.linalg.norm(xy - x.pos[:2])) for x in others), default=0.1)
            # Room first; then, on a tray, its end nearest the robot (packing from one end leaves
            # space for the next thing), on a plate its middle.
            tie = -float(np.hypot(u, v)) if t.kind == "plate" else -float(xy[0]) - 0.1 * abs(v)
            score = min(clear, 0.1) + 0.01 * tie
            if score > best_score:
                best, best_score = (xy, jaw), score
    if best is None:
        raise SkillFailure(f"there is no room left on {the(t.name)} for {the(o.name)}")
    return Spot(best[0], bottom_z, obj_yaw, best[1])


# Where the arm can set things down: a bit more of the table than the start layout uses.
PLACE_X = (-0.24, 0.27)
PLACE_Y = 0.44
PLACE_REACH = 0.80  # horizontal distance from the arm's base


def placeable(xy, half) -> bool:
    x, y = float(xy[0]), float(xy[1])
    if not (PLACE_X[0] + half[0] <= x <= PLACE_X[1] - half[0] and abs(y) <= PLACE_Y - half[1]):
        return False
    return float(np.hypot(x - BASE_POS[0], y - BASE_POS[1])) <= PLACE_REACH


def _is_round(kind: str) -> bool:
    return kind_info(kind).shape == "cylinder"


def _overlap(ca, ha, ya, round_a: bool, cb, hb, yb, round_b: bool, clearance: float) -> bool:
    """Whether two footprints come closer than `clearance`. Cups, cans and plates are discs:
    taken as their bounding squares they would claim the corners they do not cover, which on
    a crowded table is the room the next thing needed."""
    ca, cb = np.asarray(ca, float), np.asarray(cb, float)
    if round_a and round_b:
        return float(np.linalg.norm(cb - ca)) < max(ha[0], ha[1]) + max(hb[0], hb[1]) + clearance
    if round_a or round_b:
        (cd, hd), (cx, hx, yx) = ((ca, ha), (cb, hb, yb)) if round_a else ((cb, hb), (ca, ha, ya))
        c, s_ = np.cos(yx), np.sin(yx)
        d = cd - cx
        local = np.array([c * d[0] + s_ * d[1], -s_ * d[0] + c * d[1]])  # the disc's centre in the box's frame
        gap = local - np.clip(local, -np.asarray(hx, float)[:2], np.asarray(hx, float)[:2])
        return float(np.linalg.norm(gap)) < max(hd[0], hd[1]) + clearance
    return _obb_overlap(ca, ha, ya, cb, hb, yb, clearance)


def _obb_overlap(ca, ha, ya, cb, hb, yb, clearance: float) -> bool:
    """Whether two rectangles (centre, half-extents, heading) come closer than `clearance`."""
    axes = [np.array([np.cos(a), np.sin(a)]) for a in (ya, ya + np.pi / 2, yb, yb + np.pi / 2)]
    ua, va, ub, vb = axes
    d = np.asarray(cb, float) - np.asarray(ca, float)
    for u in axes:
        ra = abs(ha[0] * ua @ u) + abs(ha[1] * va @ u)
        rb = abs(hb[0] * ub @ u) + abs(hb[1] * vb @ u)
        if abs(d @ u) > ra + rb + clearance:
            return False
    return True


def _table_spot(o: ObjectState, candidates, objects, skip: set[str], obj_yaw: float | None, ok,
                clearance: float = 0.015, hand: Hand | None = None) -> tuple | None:
    """The first candidate that is free, reachable, passes `ok` and leaves room for the hand:
    (xy, release bottom height, jaw yaw). Next to low things the object is let go of from a
    little higher, so the fingers pass over them instead of pushing them."""
    yaw = heading(o.quat) if obj_yaw is None else obj_yaw
    half = np.asarray(o.size[:2], float)
    if kind_info(o.kind).shape in ("cylinder", "cluster"):
        yaw = 0.0
    others = [(x.pos[:2], np.asarray(x.size[:2], float), heading(x.quat), _is_round(x.kind))
              for x in objects.values() if x.name not in skip]
    mine = _is_round(o.kind)
    for xy in candidates:
        xy = np.asarray(xy, float)
        if not placeable(xy, footprint(o.kind, yaw)) or not ok(xy):
            continue
        if any(_overlap(xy, half, yaw, mine, c, h, y, r, clearance) for c, h, y, r in others):
            continue
        if hand is None:
            return xy, table_bottom(), None, None
        # Beside a tall neighbour the palm may only clear it if the object is let go higher up.
        for bottom_z in (table_bottom(), 0.02, 0.04, 0.06):
            found = hand.release(xy, bottom_z, obj_yaw, objects, skip)
            if found is not None:
                return xy, bottom_z, found[0], found[1]
    return None


def table_bottom() -> float:
    return 0.004


def spot_beside(o: ObjectState, t: ObjectState, sign: float, objects: dict[str, ObjectState],
                hand: Hand | None = None) -> Spot:
    """A free spot on the table to the left (sign +1) or right (-1) of `t`, robot's view."""
    # A fork is laid pointing across the table, as at a place setting, or along it if that is
    # the only way it fits.
    yaws = (0.0, np.pi / 2) if o.kind == "fork" else (None,)
    for obj_yaw in yaws:
        ohalf = footprint(o.kind, obj_yaw)[1] if obj_yaw is not None else float(max(world_half(o)[:2]))
        base = 0.5 * (world_half(t)[1] + ohalf)  # the overlap check below rejects spots too close
        dists = sorted({round(max(d, base), 3) for d in np.arange(0.1, 0.236, 0.01)}, key=lambda d: abs(d - 0.14))
        # Squarely beside first, then further forward or back: on a crowded table the only room
        # may be diagonal (the predicate allows it while the sideways offset dominates enough).
        offsets = sorted(np.round(np.arange(-0.20, 0.2001, 0.01), 3), key=abs)
        cands = [t.pos[:2] + np.array([dx, sign * d]) for d in dists for dx in offsets]
        cands.sort(key=lambda xy: round(abs(xy[0] - t.pos[0]) / 0.065))

        def ok(xy):
            d = xy - t.pos[:2]
            return np.linalg.norm(d) <= SIDE_MAX - 0.015 and sign * d[1] >= SIDE_RATIO * abs(d[0]) + 0.02

        found = _table_spot(o, cands, objects, {o.name}, obj_yaw, ok, clearance=0.008, hand=hand)
        if found is not None:
            return Spot(found[0], found[1], obj_yaw, found[2], found[3])
    side = "left" if sign > 0 else "right"
    raise SkillFailure(f"there is no free spot to the {side} of {the(t.name)}")


def spot_near(o: ObjectState, t: ObjectState, objects: dict[str, ObjectState], hand: Hand | None = None) -> Spot:
    toward = o.pos[:2] - t.pos[:2]
    a0 = float(np.arctan2(toward[1], toward[0]))
    # Directions relative to where the object comes from, then square to the table's axes
    # (where a wide neighbour's footprint box leaves the most room).
    angles = [a0 + da for da in np.radians([0, 30, -30, 60, -60, 90, -90, 120, -120, 150, -150, 180])]
    angles += [0.0, np.pi / 2, np.pi, -np.pi / 2]
    cands = [t.pos[:2] + r * np.array([np.cos(a), np.sin(a)])
             for r in (0.08, 0.095, 0.065, 0.105, 0.11, 0.113) for a in angles]
    # A long object (a fork) fits within reach of a wide one (a plate) only lying alongside it:
    # after its own heading, try it turned in steps of 45 degrees.
    yaws = (None, 0.0, np.pi / 4, np.pi / 2, 3 * np.pi / 4) if kind_info(o.kind).shape == "fork" else (None,)
    for obj_yaw in yaws:
        found = _table_spot(o, cands, objects, {o.name}, obj_yaw,
                            lambda xy: np.linalg.norm(xy - t.pos[:2]) <= NEAR_MAX - 0.005, clearance=0.008, hand=hand)
        if found is not None:
            return Spot(found[0], found[1], obj_yaw, found[2], found[3])
    raise SkillFailure(f"there is no free spot near {the(t.name)}")


def spot_back(o: ObjectState, start, objects: dict[str, ObjectState], hand: Hand | None = None) -> Spot:
    """Where `o` stood at the start, or the closest free spot to it (within near() distance)."""
    start = np.asarray(start, float)
    cands = [start[:2]] + [start[:2] + r * np.array([np.cos(a), np.sin(a)])
                           for r in (0.03, 0.05, 0.07) for a in np.linspace(0, 2 * np.pi, 12, endpoint=False)]
    found = _table_spot(o, cands, objects, {o.name}, None, lambda xy: True, hand=hand)
    if found is None:
        raise SkillFailure(f"the spot where {the(o.name)} stood is taken and there is no free spot near it")
    return Spot(found[0], float(start[2] - o.size[2]) + found[1], None, found[2], found[3])


def in_workspace_xy(xy) -> bool:
    x0, x1, y0, y1 = WORKSPACE
    return x0 <= xy[0] <= x1 and y0 <= xy[1] <= y1
