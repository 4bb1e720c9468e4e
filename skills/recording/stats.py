"""Feature statistics in LeRobot's layout: min, max, mean, std, count and the quantiles
q01, q10, q50, q90, q99 per feature (what LeRobot computes, and what QUANTILES normalization
and LeRobot's own episode writer expect to find beside them).

Vectors get per-dimension statistics; camera features get per-channel statistics of pixels
scaled to 0..1, shaped (3, 1, 1) as LeRobot stores them. Episodes are merged as LeRobot
aggregates them: count-weighted mean, pooled variance, count-weighted quantiles.
"""

from __future__ import annotations

from typing import Any

import numpy as np

QUANTILES = (0.01, 0.10, 0.50, 0.90, 0.99)
QUANTILE_KEYS = tuple(f"q{int(round(q * 100)):02d}" for q in QUANTILES)
STAT_KEYS = ("min", "max", "mean", "std", "count") + QUANTILE_KEYS


def _quantiles(x: np.ndarray, shape: tuple[int, ...] | None = None) -> dict[str, np.ndarray]:
    qs = np.quantile(x, QUANTILES, axis=0)
    return {k: (q.reshape(shape) if shape else q) for k, q in zip(QUANTILE_KEYS, qs)}


def vector_stats(x: np.ndarray) -> dict[str, np.ndarray]:
    x = np.asarray(x, np.float64).reshape(len(x), -1)
    return {"min": x.min(0), "max": x.max(0), "mean": x.mean(0), "std": x.std(0), "count": np.array([len(x)]),
            **_quantiles(x)}


def image_stats(frames: list[np.ndarray]) -> dict[str, np.ndarray]:
    """Per-channel statistics of HxWx3 uint8 frames (a subsample is enough)."""
    px = np.concatenate([f[::4, ::4].reshape(-1, 3) for f in frames]).astype(np.float64) / 255.0
    shape = (3, 1, 1)
    return {"min": px.min(0).reshape(shape), "max": px.max(0).reshape(shape), "mean": px.mean(0).reshape(shape),
            "std": px.std(0).reshape(shape), "count": np.array([len(frames)]), **_quantiles(px, shape)}


def merge(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    n = np.array([float(p["count"][0]) for p in parts])
    w = (n / n.sum()).reshape((-1,) + (1,) * np.asarray(parts[0]["mean"]).ndim)
    means = np.stack([p["mean"] for p in parts])
    mean = (w * means).sum(0)
    var = (w * (np.stack([p["std"] for p in parts]) ** 2 + (means - mean) ** 2)).sum(0)
    out = {"min": np.min(np.stack([p["min"] for p in parts]), 0), "max": np.max(np.stack([p["max"] for p in parts]), 0),
           "mean": mean, "std": np.sqrt(var), "count": np.array([int(n.sum())])}
    for q in QUANTILE_KEYS:
        if all(q in p for p in parts):
            out[q] = (w * np.stack([p[q] for p in parts])).sum(0)
    return out


def to_json(stats: dict[str, dict[str, np.ndarray]]) -> dict[str, Any]:
    return {k: {s: np.asarray(v).tolist() for s, v in d.items()} for k, d in stats.items()}


def from_json(data: dict[str, Any]) -> dict[str, dict[str, np.ndarray]]:
    return {k: {s: np.asarray(v) for s, v in d.items()} for k, d in data.items()}
