"""The task predicates of the eval README, evaluated on the world's state.

    in(A, B)       A rests inside container B (bin, basket, bowl)
    on(A, B)       A rests on top of B (a tray, a plate, a block, ...)
    left_of(A, B)  from the robot's view A is to B's left (+y), within 25 cm
    right_of(A, B) ... to B's right (-y), within 25 cm
    near(A, B)     centres within 12 cm on the table plane
    untouched(A)   A was never grasped and moved less than 2 cm
    A@start        as an argument: the point where A stood at the start
    !P             P does not hold

"Rests" means not held between the fingers and roughly still. "To the left" means A's centre
is at least 2 cm further left (+y) than B's and the sideways offset is at least half the
forwards/backwards one (within about 63 degrees of straight left), so an object far in front
of B does not count as being beside it.

Pure numpy: the scripted skills use the same geometry to check their own results.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from sim.kinds import kind_info
from sim.kinds import CONTAINERS
from skills.api import ObjectState

SIDE_MAX = 0.25
SIDE_RATIO = 0.5  # sideways offset / forwards-backwards offset, at least
SIDE_MIN = 0.02
NEAR_MAX = 0.12
UNTOUCHED_MAX = 0.02
REST_SPEED = 0.05  # m/s
_ARITY = {"in": 2, "on": 2, "left_of": 2, "right_of": 2, "near": 2, "untouched": 1}
_CALL = re.compile(r"^\s*([A-Za-z_]+)\s*\((.*)\)\s*$")


@dataclass
class WorldState:
    objects: dict[str, ObjectState]
    start: dict[str, np.ndarray] = field(default_factory=dict)
    ever_grasped: set[str] = field(default_factory=set)
    speeds: dict[str, float] = field(default_factory=dict)  # absent: assumed at rest


@dataclass
class _Ref:
    """An argument: a live object, or a bare point (`A@start`)."""

    name: str
    pos: np.ndarray
    obj: ObjectState | None


def _rotmat(q) -> np.ndarray:
    w, x, y, z = np.asarray(q, float) / np.linalg.norm(q)
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
        [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
        [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
    ])


def world_half(o: ObjectState) -> np.ndarray:
    """Half-extents of the world-axis-aligned box around a (possibly tilted) object."""
    return np.abs(_rotmat(o.quat)) @ np.asarray(o.size, float)


def bottom(o: ObjectState) -> float:
    return float(o.pos[2] - world_half(o)[2])


def top(o: ObjectState) -> float:
    return float(o.pos[2] + world_half(o)[2])


def in_local_xy(o: ObjectState, p) -> np.ndarray:
    """Point `p` (x, y) in `o`'s own horizontal frame."""
    R = _rotmat(o.quat)
    d = np.asarray(p, float)[:2] - o.pos[:2]
    return R[:2, :2].T @ d


def upright(o: ObjectState, tol_deg: float = 20.0) -> bool:
    return _rotmat(o.quat)[2, 2] > np.cos(np.radians(tol_deg))


def resting(o: ObjectState, state: WorldState) -> bool:
    return not o.grasped and state.speeds.get(o.name, 0.0) < REST_SPEED


def is_in(a: ObjectState, b: ObjectState, state: WorldState) -> bool:
    if b.kind not in CONTAINERS or a is b or not resting(a, state):
        return False
    wall = kind_info(b.kind).wall
    local = in_local_xy(b, a.pos)
    inner = np.asarray(b.size[:2]) - wall
    if np.any(np.abs(local) > inner):
        return False
    # Its bottom is below the rim (at least partly inside) and it is above the container's floor.
    return bottom(a) < top(b) - 0.005 and a.pos[2] > bottom(b)


def is_on(a: ObjectState, b: ObjectState, state: WorldState) -> bool:
    if a is b or not resting(a, state):
        return False
    local = in_local_xy(b, a.pos)
    if np.any(np.abs(local) > np.asarray(b.size[:2]) + 0.01):
        return False
    return abs(bottom(a) - top(b)) < 0.02


def _side(a: _Ref, b: _Ref, sign: float) -> bool:
    d = a.pos[:2] - b.pos[:2]
    dist = float(np.linalg.norm(d))
    lateral = sign * d[1]
    return dist <= SIDE_MAX and lateral >= SIDE_MIN and lateral >= SIDE_RATIO * abs(d[0])


def is_near(a: _Ref, b: _Ref) -> bool:
    return float(np.linalg.norm(a.pos[:2] - b.pos[:2])) <= NEAR_MAX


def _lookup(state: WorldState, name: str) -> str:
    for k in state.objects:
        if k.lower() == name.lower():
            return k
    raise ValueError(f"unknown object {name!r} in predicate; objects: {', '.join(state.objects)}")


def _arg(state: WorldState, text: str) -> _Ref:
    text = text.strip()
    if not text:
        raise ValueError("empty object name in predicate")
    if text.lower().endswith("@start"):
        name = _lookup(state, text[: -len("@start")].strip())
        if name not in state.start:
            raise ValueError(f"no start position recorded for {name!r}")
        return _Ref(name + "@start", np.asarray(state.start[name], float), None)
    name = _lookup(state, text)
    o = state.objects[name]
    return _Ref(name, np.asarray(o.pos, float), o)


def _need_object(r: _Ref, pred: str) -> ObjectState:
    if r.obj is None:
        raise ValueError(f"{pred}() needs an object, not the point {r.name!r}")
    return r.obj


def check(expr: str, state: WorldState) -> bool:
    """Whether predicate `expr` (e.g. "in(red cup, bin)", "!untouched(plate)") holds in `state`."""
    if not isinstance(expr, str) or not expr.strip():
        raise ValueError(f"empty or non-text predicate {expr!r}")
    s = expr.strip()
    if s.startswith("!"):
        return not check(s[1:], state)
    m = _CALL.match(s)
    if not m:
        raise ValueError(f"malformed predicate {expr!r}: expected name(arg, ...)")
    pred, body = m.group(1).lower(), m.group(2)
    if pred not in _ARITY:
        raise ValueError(f"unknown predicate {pred!r} in {expr!r}; known: {', '.join(_ARITY)}")
    parts = body.split(",")
    if len(parts) != _ARITY[pred] or any(not p.strip() for p in parts):
        raise ValueError(f"{pred}() takes {_ARITY[pred]} object name(s), got {body!r}")
    args = [_arg(state, p) for p in parts]
    if pred == "untouched":
        o = _need_object(args[0], pred)
        start = state.start.get(o.name)
        moved = 0.0 if start is None else float(np.linalg.norm(np.asarray(o.pos) - start))
        return o.name not in state.ever_grasped and moved < UNTOUCHED_MAX
    a, b = args
    if pred == "in":
        return is_in(_need_object(a, pred), _need_object(b, pred), state)
    if pred == "on":
        return is_on(_need_object(a, pred), _need_object(b, pred), state)
    if pred == "left_of":
        return _side(a, b, +1.0)
    if pred == "right_of":
        return _side(a, b, -1.0)
    return is_near(a, b)


def objects_named(expr: str) -> list[str]:
    """The object names a predicate refers to; ValueError if it is malformed (checked when a
    scenario is loaded, so a typo fails there with its line, not after the robot has worked)."""
    if not isinstance(expr, str) or not expr.strip():
        raise ValueError(f"empty or non-text predicate {expr!r}")
    m = _CALL.match(expr.strip().lstrip("!"))
    if not m:
        raise ValueError(f"malformed predicate {expr!r}: expected name(arg, ...)")
    pred, parts = m.group(1).lower(), m.group(2).split(",")
    if pred not in _ARITY:
        raise ValueError(f"unknown predicate {pred!r} in {expr!r}; known: {', '.join(_ARITY)}")
    if len(parts) != _ARITY[pred] or any(not p.strip() for p in parts):
        raise ValueError(f"{pred}() takes {_ARITY[pred]} object name(s), got {m.group(2)!r}")
    return [re.sub(r"@start$", "", p.strip(), flags=re.IGNORECASE).strip() for p in parts]


def check_all(exprs: list[str], state: WorldState) -> tuple[bool, list[str]]:
    """(all hold, the predicates that do not)."""
    failed = [e for e in exprs if not check(e, state)]
    return not failed, failed
