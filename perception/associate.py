"""Which blob is which named object, and where exactly that object is.

The scene spec says what is on the table (names, kinds, colours: what the person and the
scenario say); vision says where. Each named object is matched to the blob that best fits its
colour and its kind's size, height and hollowness; then the blob's box is turned into the
object's centre using what is known about the kind (e.g. a fork's drawn tines stick out past
its body, a box seen only in part is anchored on the edge that was really seen).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from perception.heightmap import HeightMap
from perception.segment import Blob
from sim.kinds import KINDS, kind_info

# Colour mismatch costs this much: more than any size mismatch between kinds of one colour.
COLOR_MISMATCH = 4.0
# Above this cost a blob is not taken to be the object (not seen).
MAX_COST = 7.0
_HOLLOW = {"bin": 0.8, "basket": 0.8, "bowl": 0.7}


@dataclass(frozen=True)
class Template:
    long: float
    short: float
    height: float
    hollow: float


def template(kind: str) -> Template:
    info = kind_info(kind)
    hx, hy, hz = info.half
    if kind == "fork":
        hx += 0.011  # the tines drawn past the head
    if kind == "cup":
        hy += 0.005  # the handle
    return Template(max(hx, hy), min(hx, hy), 2 * hz, _HOLLOW.get(kind, 0.0))


TEMPLATES = {k: template(k) for k in KINDS}
# Cylinders that fall over lie on their side: long as they were tall, as high as they were wide.
LYING = {k: Template(kind_info(k).half[2], kind_info(k).half[0], 2 * kind_info(k).half[0], 0.0) for k in ("cup", "can")}


def _fit(blob: Blob, t: Template) -> float:
    # Sizes seen can only be smaller than the truth (occlusion), so shortfalls cost less.
    dl = blob.half[0] - t.long
    ds = blob.half[1] - t.short
    size = (abs(dl) if dl > 0 else 0.5 * abs(dl)) / 0.012 + (abs(ds) if ds > 0 else 0.5 * abs(ds)) / 0.012
    return size + abs(blob.height - t.height) / 0.012 + abs(blob.hollow - t.hollow) / 0.25


def lying(blob: Blob, kind: str) -> bool:
    """Whether the blob fits the kind lying on its side better than standing."""
    return kind in LYING and _fit(blob, LYING[kind]) < _fit(blob, TEMPLATES[kind])


def kind_cost(blob: Blob, kind: str) -> float:
    c = _fit(blob, TEMPLATES[kind])
    return min(c, _fit(blob, LYING[kind]) + 0.5) if kind in LYING else c


def classify(blob: Blob) -> str:
    """The kind whose size, height and shape fit the blob best."""
    return min(KINDS, key=lambda k: kind_cost(blob, k))


def assign(cost: np.ndarray) -> list[tuple[int, int]]:
    """Minimum-cost one-to-one assignment of rows to columns (Kuhn-Munkres, shortest augmenting
    paths). Rectangular matrices are padded; returns (row, col) pairs of the real cells."""
    n_r, n_c = cost.shape
    n = max(n_r, n_c)
    big = float(np.max(cost)) + 1.0 if cost.size else 1.0
    c = np.full((n, n), big)
    c[:n_r, :n_c] = cost
    u, v = np.zeros(n + 1), np.zeros(n + 1)
    p = np.zeros(n + 1, int)  # p[j]: row matched to column j (1-based, 0 none)
    way = np.zeros(n + 1, int)
    for i in range(1, n + 1):
        p[0] = i
        j0 = 0
        minv = np.full(n + 1, np.inf)
        used = np.zeros(n + 1, bool)
        while True:
            used[j0] = True
            i0 = p[j0]
            cur = c[i0 - 1] - u[i0] - v[1:]
            free = ~used[1:]
            better = free & (cur < minv[1:])
            minv[1:][better] = cur[better]
            way[1:][better] = j0
            cand = np.where(free, minv[1:], np.inf)
            j1 = int(np.argmin(cand)) + 1
            delta = cand[j1 - 1]
            u[p[used]] += delta
            v[used] -= delta
            minv[1:][free] -= delta
            j0 = j1
            if p[j0] == 0:
                break
        while j0:
            j1 = way[j0]
            p[j0] = p[j1]
            j0 = j1
    return [(int(p[j]) - 1, j - 1) for j in range(1, n + 1) if p[j] and p[j] - 1 < n_r and j - 1 < n_c]


def match(objects: list[tuple[str, str, str]], blobs: list[Blob],
          last: dict[str, np.ndarray] | None = None) -> dict[str, int]:
    """name -> blob index for (name, kind, colour) objects: the cheapest joint assignment.

    `last` (name -> last known xy) adds a small cost per metre moved, so that two look-alikes
    keep their identities from one look to the next.
    """
    if not objects or not blobs:
        return {}
    cost = np.full((len(objects), len(blobs)), 1e3)
    for oi, (name, kind, color) in enumerate(objects):
        prev = None if last is None else last.get(name)
        for bi, b in enumerate(blobs):
            c = kind_cost(b, kind) + (0.0 if b.color == color else COLOR_MISMATCH)
            if prev is not None and np.all(np.isfinite(prev)):
                c += 4.0 * float(np.linalg.norm(b.center - np.asarray(prev)[:2]))
            if c <= MAX_COST:
                cost[oi, bi] = c
    return {objects[oi][0]: bi for oi, bi in assign(cost) if cost[oi, bi] < 1e3}


def _qmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    w1, x1, y1, z1 = a
    w2, x2, y2, z2 = b
    return np.array([w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2, w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2,
                     w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2, w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2])


def _yaw_quat(yaw: float) -> np.ndarray:
    return np.array([np.cos(yaw / 2), 0.0, 0.0, np.sin(yaw / 2)])


def _edge_open(blob: Blob, hm: HeightMap, c: np.ndarray, d: np.ndarray, sign: float) -> bool:
    """Whether the blob's extreme edge along sign*d is a real edge: beyond it, cameras saw
    something lower (table or support), not an unknown cell or something taller in front."""
    s = (blob.xy - c) @ d * sign
    edge = blob.xy[s >= s.max() - 1.5 * hm.cell]
    probe = edge + sign * d * 2.5 * hm.cell
    ix = np.floor((probe[:, 0] - hm.x0) / hm.cell).astype(int)
    iy = np.floor((probe[:, 1] - hm.y0) / hm.cell).astype(int)
    nx, ny = hm.shape
    ok = (ix >= 0) & (ix < nx) & (iy >= 0) & (iy < ny)
    if not ok.any():
        return False
    zb = hm.z[ix[ok], iy[ok]]
    open_ = ~np.isnan(zb) & (np.nan_to_num(zb, nan=1.0) < blob.top - 0.01)
    return float(np.mean(open_)) > 0.6


def pose(blob: Blob, kind: str, hm: HeightMap | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Centre (3,) and orientation quaternion of an upright object of `kind` seen as `blob`."""
    info = kind_info(kind)
    if lying(blob, kind):
        # Its own z axis lies along the blob's long side: yaw, then tip over by 90 degrees.
        q = _qmul(_yaw_quat(blob.yaw), np.array([np.cos(np.pi / 4), 0.0, np.sin(np.pi / 4), 0.0]))
        return np.array([blob.center[0], blob.center[1], blob.top - info.half[0]]), q
    t = TEMPLATES[kind]
    c = blob.center.copy()
    yaw = blob.yaw
    u = np.array([np.cos(yaw), np.sin(yaw)])
    if kind == "fork":
        # The head end is lower than the handle; the tines make the box 11 mm longer there.
        s = (blob.xy - c) @ u
        head_sign = 1.0 if np.mean(blob.z[s > 0]) < np.mean(blob.z[s <= 0]) else -1.0
        c = c - head_sign * 0.011 * u
        yaw = yaw if head_sign > 0 else yaw + np.pi
    elif hm is not None:
        # Seen shorter than the kind is: part was hidden. Anchor on the edge that was really
        # seen (the table or the support shows beyond it), when only one of the two was.
        for axis, want in ((0, t.long), (1, t.short)):
            have = blob.half[axis]
            if want - have <= 0.006:
                continue
            d = u if axis == 0 else np.array([-u[1], u[0]])
            lo, hi = _edge_open(blob, hm, c, d, -1.0), _edge_open(blob, hm, c, d, +1.0)
            if hi and not lo:
                c = c - d * (want - have)
            elif lo and not hi:
                c = c + d * (want - have)
    z = blob.top - info.half[2]
    if info.shape == "cylinder" or kind == "trash":
        yaw = 0.0
    if info.half[1] > info.half[0]:
        yaw -= np.pi / 2
    return np.array([c[0], c[1], z]), _yaw_quat(yaw)
