"""Noticing that something moved that the robot did not move (a person reaching in).

`ChangeWatcher.update(scene_objects, manipulated)` compares each object's position with where
it was last seen. An object that moved more than `threshold` while it was not one the current
step manipulates is reported once as a `Cue(source="vision", kind="object_moved")`, and its new
position becomes the reference. Objects the step handles are followed silently (their moves
are the robot's), and so are objects that are held or not seen this time (no position, or
NaN): a hidden object has not moved, it is just hidden.

It works on `SceneObject`s from any perception (vision, or state for the oracle).
"""

from __future__ import annotations

import math
from typing import Iterable

from agent.events import Cue
from agent.schema import SceneObject

DEFAULT_THRESHOLD = 0.04  # metres: well above vision's position noise (median ~2 mm, max ~1 cm)


def _finite(p) -> bool:
    return p is not None and all(math.isfinite(float(v)) for v in p)


class ChangeWatcher:
    def __init__(self, threshold: float = DEFAULT_THRESHOLD, confirm: int = 1) -> None:
        """`confirm`: how many looks in a row must agree on the new place before it is reported
        (2 rides out a single bad look while the arm is in the picture)."""
        self.threshold = float(threshold)
        self.confirm = max(1, int(confirm))
        self.known: dict[str, tuple[float, float, float]] = {}
        self._pending: dict[str, int] = {}

    def reset(self, scene_objects: Iterable[SceneObject] = ()) -> None:
        self.known = {o.name: tuple(o.pos) for o in scene_objects if _finite(o.pos)}  # type: ignore[misc]
        self._pending.clear()

    def update(self, scene_objects: Iterable[SceneObject], manipulated: set[str] | frozenset[str] = frozenset()) -> list[Cue]:
        cues: list[Cue] = []
        handled = {m.lower() for m in manipulated}
        for o in scene_objects:
            if not _finite(o.pos):
                continue
            pos = tuple(float(v) for v in o.pos)
            prev = self.known.get(o.name)
            if prev is None or o.name.lower() in handled or o.held:
                self.known[o.name] = pos  # type: ignore[assignment]
                self._pending.pop(o.name, None)
                continue
            d = math.dist(prev[:2], pos[:2])
            if d < self.threshold:
                self._pending.pop(o.name, None)
                continue
            n = self._pending.get(o.name, 0) + 1
            if n < self.confirm:
                self._pending[o.name] = n
                continue
            self._pending.pop(o.name, None)
            cues.append(Cue(source="vision", kind="object_moved", severity="info",
                            detail={"object": o.name, "from": [round(v, 3) for v in prev],
                                    "to": [round(v, 3) for v in pos], "distance": round(d, 3)}))
            self.known[o.name] = pos  # type: ignore[assignment]
        return cues
