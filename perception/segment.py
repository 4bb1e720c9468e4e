"""Blobs in the height map: which cells belong to one object, and what each blob looks like.

1. Foreground: cells higher than the table top by a few millimetres.
2. Surfaces: neighbouring cells join when their heights differ by less than `STEP`, so a cup
   standing in a bin is cut off from the bin's floor by its own height, and a block on a tray
   from the tray.
3. Containers: a rim is higher than the floor it surrounds. Two touching surfaces of the same
   colour merge when the higher one surrounds the lower one (rim + floor = one bin), never the
   other way round (a red block on a red tray stays two objects). Same-colour pieces of equal
   height whose boxes overlap (a rim cut in two where no camera saw it) merge too.
4. Features: the smallest box around the cells (centre, yaw, half sizes), height above what
   it stands on, how much of it is well below its top (hollow), and its colour by vote.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from perception.colors import COLOR_NAMES
from perception.heightmap import HeightMap

STEP = 0.012  # metres: larger height jumps between neighbours separate surfaces
ABOVE_TABLE = 0.004
MIN_CELLS = 6
# A container's floor is at most this far above what the container stands on (bin: 1 cm).
FLOOR_MAX = 0.016
_SHIFTS = [(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)]


@dataclass
class Blob:
    cells: np.ndarray  # (n, 2) int cell indices
    xy: np.ndarray  # (n, 2) cell centres
    z: np.ndarray  # (n,) cell heights
    color: str
    color_share: float  # fraction of the colour votes won by `color`
    center: np.ndarray  # (2,) centre of the smallest enclosing box
    yaw: float  # heading of that box's long side
    half: np.ndarray  # (2,) half sizes of that box: long, short
    top: float  # height of its top surface (robust max)
    support: float  # height of what it stands on
    hollow: float  # fraction of cells lower than half its height: rims around a floor

    @property
    def height(self) -> float:
        return self.top - self.support


def _shift(a: np.ndarray, dx: int, dy: int, fill) -> np.ndarray:
    out = np.full_like(a, fill)
    nx, ny = a.shape[:2]
    xs_dst = slice(max(dx, 0), nx + min(dx, 0))
    xs_src = slice(max(-dx, 0), nx + min(-dx, 0))
    ys_dst = slice(max(dy, 0), ny + min(dy, 0))
    ys_src = slice(max(-dy, 0), ny + min(-dy, 0))
    out[xs_dst, ys_dst] = a[xs_src, ys_src]
    return out


def fill_gaps(z: np.ndarray) -> np.ndarray:
    """Unknown cells mostly surrounded by seen ones get their neighbours' median (sampling gaps)."""
    z = z.copy()
    nb = np.stack([_shift(z, dx, dy, np.nan) for dx, dy in _SHIFTS])
    known = np.sum(~np.isnan(nb), axis=0)
    fill = np.isnan(z) & (known >= 5)
    if fill.any():
        z[fill] = np.nanmedian(nb[:, fill], axis=0)
    return z


def components(z: np.ndarray, fg: np.ndarray) -> np.ndarray:
    """Labels (-1 background) of 8-connected surfaces without height jumps above STEP."""
    nx, ny = z.shape
    big = nx * ny
    lab = np.where(fg, np.arange(big).reshape(nx, ny), big)
    zf = np.where(fg, z, np.nan)
    edges = []
    for dx, dy in _SHIFTS:
        zn = _shift(zf, dx, dy, np.nan)
        with np.errstate(invalid="ignore"):
            edges.append(fg & (np.abs(zn - zf) < STEP))
    while True:
        new = lab
        for (dx, dy), ok in zip(_SHIFTS, edges):
            new = np.where(ok, np.minimum(new, _shift(lab, dx, dy, big)), new)
        if np.array_equal(new, lab):
            break
        lab = new
    return np.where(fg, lab, -1)


def _min_box(xy: np.ndarray, cell: float) -> tuple[np.ndarray, float, np.ndarray]:
    """Centre, yaw (of the long side, in [0, pi)) and half sizes (long, short) of the smallest box."""
    best = None
    c0 = xy.mean(axis=0)
    d = xy - c0
    for a in np.radians(np.arange(0.0, 90.0, 2.0)):
        u = np.array([np.cos(a), np.sin(a)])
        v = np.array([-np.sin(a), np.cos(a)])
        pu, pv = d @ u, d @ v
        eu, ev = pu.max() - pu.min() + cell, pv.max() - pv.min() + cell
        if best is None or eu * ev < best[0] - 1e-12:
            mid = c0 + u * (pu.max() + pu.min()) / 2 + v * (pv.max() + pv.min()) / 2
            best = (eu * ev, a, eu, ev, mid)
    _, a, eu, ev, mid = best  # type: ignore[misc]
    if ev > eu:
        a, eu, ev = a + np.pi / 2, ev, eu
    return mid, float(a % np.pi), np.array([eu / 2, ev / 2])


def _dilate(mask: np.ndarray, r: int = 1) -> np.ndarray:
    out = mask.copy()
    for _ in range(r):
        out = out | np.any(np.stack([_shift(out, dx, dy, False) for dx, dy in _SHIFTS]), axis=0)
    return out


def _color_of(votes: np.ndarray, mask: np.ndarray) -> tuple[int, float]:
    v = votes[mask].sum(axis=0).astype(float)
    total = v.sum()
    if total <= 0:
        return COLOR_NAMES.index("white"), 0.0
    i = int(np.argmax(v))
    return i, float(v[i] / total)


def _merge_containers(lab: np.ndarray, z: np.ndarray, votes: np.ndarray) -> np.ndarray:
    ids = [i for i in np.unique(lab) if i >= 0]
    info = {}
    for i in ids:
        m = lab == i
        ix, iy = np.nonzero(m)
        info[i] = dict(mask=m, color=_color_of(votes, m)[0], top=float(np.percentile(z[m], 95)),
                       box=(ix.min(), ix.max(), iy.min(), iy.max()), n=int(m.sum()))
    parent = {i: i for i in ids}

    def root(i):
        while parent[i] != i:
            i = parent[i]
        return i

    def ground(i):  # height of what component i stands on: the seen cells just outside it
        ring = _dilate(info[i]["mask"], 2) & ~_dilate(info[i]["mask"], 0) & ~np.isnan(z)
        zs = z[ring]
        zs = zs[zs < info[i]["top"] - STEP] if zs.size else zs
        return float(np.median(zs)) if zs.size else 0.0

    def inside(a, b, margin=1):  # box of a within box of b
        ax0, ax1, ay0, ay1 = info[a]["box"]
        bx0, bx1, by0, by1 = info[b]["box"]
        return ax0 >= bx0 - margin and ax1 <= bx1 + margin and ay0 >= by0 - margin and ay1 <= by1 + margin

    def overlap(a, b):
        ax0, ax1, ay0, ay1 = info[a]["box"]
        bx0, bx1, by0, by1 = info[b]["box"]
        return ax0 <= bx1 + 1 and bx0 <= ax1 + 1 and ay0 <= by1 + 1 and by0 <= ay1 + 1

    for a in ids:
        near = _dilate(info[a]["mask"], 1)
        for b in ids:
            if b <= a or info[a]["color"] != info[b]["color"]:
                continue
            ta, tb = info[a]["top"], info[b]["top"]
            touching = bool(np.any(near & info[b]["mask"]))
            hi, lo = (a, b) if ta >= tb else (b, a)
            # Only a floor joins its rim: a flat surface just above what the container stands
            # on. An object of the container's colour lying inside it stays separate.
            floor_like = info[lo]["top"] - ground(hi) < FLOOR_MAX
            if touching and abs(ta - tb) >= STEP and inside(lo, hi) and floor_like:
                parent[root(lo)] = root(hi)
            elif abs(ta - tb) < STEP and overlap(a, b) and (inside(a, b, 3) or inside(b, a, 3)):
                parent[root(b)] = root(a)
    out = lab.copy()
    for i in ids:
        out[lab == i] = root(i)
    return out


def blobs(hm: HeightMap) -> list[Blob]:
    z = fill_gaps(hm.z)
    with np.errstate(invalid="ignore"):
        fg = z > ABOVE_TABLE
    lab = components(z, fg)
    lab = _merge_containers(lab, z, hm.votes)
    known_low = ~np.isnan(z)
    out = []
    for i in np.unique(lab):
        if i < 0:
            continue
        m = lab == i
        n = int(m.sum())
        if n < MIN_CELLS:
            continue
        ix, iy = np.nonzero(m)
        xy = hm.xy(ix, iy)
        zz = z[m]
        top = float(np.percentile(zz, 95))
        ring = _dilate(m, 2) & ~_dilate(m, 0) & known_low & (lab != i)
        below = z[ring & (np.nan_to_num(z, nan=np.inf) < top - 0.008)] if ring.any() else np.array([])
        support = float(np.median(below)) if below.size else 0.0
        support = max(0.0, support)
        center, yaw, half = _min_box(xy, hm.cell)
        ci, share = _color_of(hm.votes, m)
        h = max(top - support, 1e-3)
        hollow = float(np.mean(zz < support + 0.5 * h))
        out.append(Blob(cells=np.stack([ix, iy], 1), xy=xy, z=zz, color=COLOR_NAMES[ci], color_share=share,
                        center=center, yaw=yaw, half=half, top=top, support=support, hollow=hollow))
    return out
