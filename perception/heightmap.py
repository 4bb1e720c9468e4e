"""Fusing RGB-D frames into a top-down height map of the table.

Every pixel of every frame is back-projected into the table frame and dropped into a grid
cell. A cell keeps the highest point seen in it, and a vote per colour over all its points
(the sides of an object, seen by the front camera, land inside the object's footprint too,
which is what makes a red can with a grey lid red).

Why a height map: objects stand on one plane, so a view from straight above turns detection
into 2-D blob finding with metric sizes, and several cameras (front, wrist) merge without any
matching: what one camera cannot see behind a tall bin, the other sees from above.
Cells no camera saw stay NaN (unknown), which is different from "empty table".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from perception.cameras import Frame
from perception.colors import COLOR_NAMES, label_pixels_fast
from sim.mjcf import TABLE_HALF

CELL = 0.004  # metres
# Points above this are the arm (at home its lowest part is ~0.3 m up), not objects.
MAX_OBJECT_Z = 0.24
# Margin inside the table edge: the edge itself is seen edge-on and is noisy.
_EDGE = 0.01


@dataclass
class HeightMap:
    z: np.ndarray  # (nx, ny) highest point per cell, NaN where no camera saw the cell
    votes: np.ndarray  # (nx, ny, ncolors) points per colour among points above the table
    x0: float
    y0: float
    cell: float

    @property
    def shape(self) -> tuple[int, int]:
        return self.z.shape  # type: ignore[return-value]

    def xy(self, ix: np.ndarray, iy: np.ndarray) -> np.ndarray:
        """Table-frame centres of cells."""
        return np.stack([self.x0 + (np.asarray(ix) + 0.5) * self.cell, self.y0 + (np.asarray(iy) + 0.5) * self.cell], -1)


def fuse(frames: list[Frame], cell: float = CELL, above: float = 0.004,
         exclude: Callable[[np.ndarray], np.ndarray] | None = None) -> HeightMap:
    """`exclude(points) -> bool mask` drops points (the robot's own body)."""
    tx, ty = TABLE_HALF
    x0, x1, y0, y1 = -tx + _EDGE, tx - _EDGE, -ty + _EDGE, ty - _EDGE
    nx, ny = int(np.ceil((x1 - x0) / cell)), int(np.ceil((y1 - y0) / cell))
    ncol = len(COLOR_NAMES)
    z = np.full(nx * ny, -np.inf)
    votes = np.zeros(nx * ny * ncol, np.int64)
    for f in frames:
        p = f.points().reshape(-1, 3)
        lab = label_pixels_fast(f.rgb).reshape(-1)
        ok = ((p[:, 0] >= x0) & (p[:, 0] < x1) & (p[:, 1] >= y0) & (p[:, 1] < y1)
              & (p[:, 2] > -0.01) & (p[:, 2] < MAX_OBJECT_Z))
        p, lab = p[ok], lab[ok]
        if exclude is not None and len(p):
            keep = ~exclude(p)
            p, lab = p[keep], lab[keep]
        idx = ((p[:, 0] - x0) / cell).astype(np.int64) * ny + ((p[:, 1] - y0) / cell).astype(np.int64)
        # Highest point per cell: sort by (cell, height) and keep each cell's last entry.
        order = np.lexsort((p[:, 2], idx))
        cs, zs = idx[order], p[order, 2]
        last = np.r_[cs[1:] != cs[:-1], True]
        z[cs[last]] = np.maximum(z[cs[last]], zs[last])
        up = p[:, 2] > above
        votes += np.bincount(idx[up] * ncol + lab[up], minlength=votes.size)
    votes = votes.reshape(nx * ny, ncol)
    z[np.isinf(z)] = np.nan
    return HeightMap(z=z.reshape(nx, ny), votes=votes.reshape(nx, ny, -1), x0=x0, y0=y0, cell=cell)
