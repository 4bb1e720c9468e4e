"""Feature statistics in LeRobot's layout: min, max, mean, std, count per feature.

Vectors get per-dimension statistics; camera features get per-channel statistics of pixels
scaled to 0..1, shaped (3, 1, 1) as LeRobot stores them. Episodes are merged by count-weighted
mean and pooled variance.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def vector_stats(x: np.ndarray) -> dict[str, np.ndarray]:
    x = np.asarray(x, np.float64).reshape(len(x), -1)
    return {"min": x.min(0), "max": x.max(0), "mean": x.mean(0), "std": x.std(0), "count": np.array([len(x)])}


def image_stats(frames: list[np.ndarray]) -> dict[str, np.ndarray]:
    """Per-channel statistics of HxWx3 uint8 frames (a subsample is enough)."""
    px = np.concatenate([f[::4, ::4].reshape(-1, 3) for f in frames]).astype(np.float64) / 255.0
    shape = (3, 1, 1)
    return {"min": px.min(0).reshape(shape), "max": px.max(0).reshape(shape), "mean": px.mean(0).reshape(shape),
            "std": px.std(0).reshape(shape), "count": np.array([len(frames)])}


def merge(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    n = np.array([float(p["count"][0]) for p in parts])
    w = (n / n.sum()).reshape((-1,) + (1,) * np.asarray(parts[0]["mean"]).ndim)
    means = np.stack([p["mean"] for p in parts])
    mean = (w * means).sum(0)
    var = (w * (np.stack([p["std"] for p in parts]) ** 2 + (means - mean) ** 2)).sum(0)
    return {"min": np.min(np.stack([p["min"] for p in parts]), 0), "max": np.max(np.stack([p["max"] for p in parts]), 0),
            "mean": mean, "std": np.sqrt(var), "count": np.array([int(n.sum())])}


def to_json(stats: dict[str, dict[str, np.ndarray]]) -> dict[str, Any]:
    return {k: {s: np.asarray(v).tolist() for s, v in d.items()} for k, d in stats.items()}


def from_json(data: dict[str, Any]) -> dict[str, dict[str, np.ndarray]]:
    return {k: {s: np.asarray(v) for s, v in d.items()} for k, d in data.items()}
