"""Naming the colour of pixels: one of the scenario format's eight colours.

Light in the simulator scales an object's colour (lit tops are brighter than sides, whites
saturate), so pixels are compared by chromaticity (rgb / max channel), which shading leaves
nearly unchanged. White and black share a chromaticity; brightness tells them apart.
"""

from __future__ import annotations

import numpy as np

from sim.kinds import COLOR_RGBA

COLOR_NAMES: tuple[str, ...] = tuple(COLOR_RGBA)
_ACHROMATIC = ("white", "black")
# Below this brightness (max channel, 0..1) an achromatic pixel is black, above it white.
_BLACK_MAX_V = 0.22


def _chroma(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rgb = np.asarray(rgb, float)
    v = rgb.max(axis=-1)
    return rgb / np.maximum(v, 1e-3)[..., None], v


_PAL_CHROMA, _ = _chroma(np.array([COLOR_RGBA[c][:3] for c in COLOR_NAMES]))
_CHROMATIC_IDX = np.array([i for i, c in enumerate(COLOR_NAMES) if c not in _ACHROMATIC])
_WHITE = COLOR_NAMES.index("white")
_BLACK = COLOR_NAMES.index("black")


def label_pixels(rgb: np.ndarray) -> np.ndarray:
    """Index into COLOR_NAMES for every pixel of an (..., 3) uint8 or 0..1 image."""
    rgb = np.asarray(rgb)
    x = rgb.astype(float) / (255.0 if rgb.dtype == np.uint8 else 1.0)
    ch, v = _chroma(x)
    # Distance to every palette chromaticity; the achromatic ones are one entry (white) here.
    d = np.linalg.norm(ch[..., None, :] - _PAL_CHROMA, axis=-1)
    idx = np.argmin(d, axis=-1)
    achromatic = (idx == _WHITE) | (idx == _BLACK)
    # Very dark pixels have unreliable chromaticity: call them black.
    dark = v < _BLACK_MAX_V
    out = np.where(achromatic, np.where(dark, _BLACK, _WHITE), idx)
    out = np.where(dark & (ch.min(axis=-1) > 0.55), _BLACK, out)
    return out.astype(np.int8)


_LUT: np.ndarray | None = None


def label_pixels_fast(rgb: np.ndarray) -> np.ndarray:
    """`label_pixels` of a uint8 image through a 32x32x32 table (5 bits per channel): the same
    answer up to quantisation, ~20x faster on a whole frame."""
    global _LUT
    if _LUT is None:
        g = (np.arange(32) * 8 + 4).astype(np.uint8)
        cube = np.stack(np.meshgrid(g, g, g, indexing="ij"), axis=-1)
        _LUT = label_pixels(cube)
    q = np.asarray(rgb, np.uint8) >> 3
    return _LUT[q[..., 0], q[..., 1], q[..., 2]]


def color_name(index: int) -> str:
    return COLOR_NAMES[int(index)]
