"""Perception from the cameras (`--perception vision`): where things are, from pixels and depth.

What it is told: the names, kinds and colours of the objects on the table (the scene spec:
what the person and the scenario say is there). What it finds out by itself: where each one
is. Object poses of the simulator are never read here; the scene is rebuilt from the rendered
front and wrist cameras (RGB + depth):

1. render both cameras, drop the robot's own pixels (its links' poses come from its joint
   readings, as on any real arm), back-project the rest into the table frame;
2. fuse them into a top-down height map with colour votes (`perception.heightmap`);
3. cut the map into blobs (`perception.segment`), match blobs to the named objects by colour
   and by kind-specific size, height and hollowness, and turn each blob into a pose
   (`perception.associate`);
4. keep a short history (`ObjectTrack`): the first sighting is the start pose (for
   `untouched` and `A@start`), an object hidden this time keeps its last pose, and one the
   gripper held at any observation (its finger touch sensing) counts as grasped.

Predicates are the simulator's own geometry (`sim.predicates.check`) evaluated on a
`WorldState` built from these estimates, so a vision check and a state check differ only by
the estimation error.

The arm: between steps it stands at home, high above the table, and nothing of it is seen
on the table. While it works near objects, its own geometry is cut out of the point cloud;
what it hides keeps its last seen pose.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import mujoco
import numpy as np

from agent.schema import SceneObject
from perception.associate import classify, match, pose
from perception.cameras import Frame, RGBDCamera
from perception.heightmap import HeightMap, fuse
from perception.segment import Blob, blobs
from perception.state import describe
from sim.kinds import COLOR_RGBA, kind_info
from sim.predicates import WorldState, check
from skills.api import ObjectState

DEFAULT_CAMERAS: tuple[tuple[str, int, int], ...] = (("front", 480, 480), ("wrist", 320, 320))
_SELF_MARGIN = 0.015  # metres around the arm's geoms that are taken to be the arm


@dataclass
class ObjectTrack:
    """What vision remembers about one named object."""

    pos: np.ndarray | None = None
    quat: np.ndarray = field(default_factory=lambda: np.array([1.0, 0.0, 0.0, 0.0]))
    start: np.ndarray | None = None
    seen_at: float | None = None  # simulated time of the last sighting
    seen: bool = False  # seen in the latest observation
    ever_grasped: bool = False
    grasped: bool = False


@dataclass
class Detection:
    """A blob as vision describes it, whether or not it matched a named object."""

    kind: str
    color: str
    pos: np.ndarray
    half: np.ndarray
    top: float
    name: str | None = None


def _color_of(robot, name: str, kind: str) -> str:
    c = getattr(robot, "colors", {}).get(name)
    return c if c in COLOR_RGBA else kind_info(kind).default_color


class VisionPerception:
    name = "vision"

    def __init__(self, robot, cameras: tuple[tuple[str, int, int], ...] = DEFAULT_CAMERAS,
                 objects: list[tuple[str, str, str | None]] | None = None) -> None:
        self.robot = robot
        available = set(getattr(robot, "cameras", ())) or {c for c, _, _ in cameras}
        self.cameras = [RGBDCamera(robot, c, w, h) for c, w, h in cameras if c in available]
        if objects is None:
            objects = [(n, robot.kinds[n], robot.colors.get(n)) for n in robot.names]
        # The scene spec: names, kinds and colours; an unnamed colour is the kind's default.
        self.objects = [(n, k, c if c in COLOR_RGBA else kind_info(k).default_color) for n, k, c in objects]
        self._declared_colors = {n: c for n, _, c in objects}
        self.tracks: dict[str, ObjectTrack] = {n: ObjectTrack() for n, _, _ in self.objects}
        # Where the scene spec says an object starts ("at": "left"...): a prior for the first look.
        self._regions = _declared_regions(robot)
        self._self_geoms = _robot_geoms(robot.model)
        self._cache_t: float | None = None
        self.last_detections: list[Detection] = []
        self.last_heightmap: HeightMap | None = None
        self.observe()

    # ------------------------------------------------------------------ observing
    def capture(self) -> list[Frame]:
        return [c.capture() for c in self.cameras]

    def observe(self, force: bool = False) -> dict[str, ObjectTrack]:
        """Look at the table now (once per simulated instant unless `force`) and update the tracks."""
        t = float(self.robot.data.time)
        if not force and self._cache_t is not None and t == self._cache_t:
            return self.tracks
        frames = self.capture()
        hm = fuse(frames, exclude=self._self_filter())
        found = blobs(hm)
        prior = {n: tr.pos for n, tr in self.tracks.items() if tr.pos is not None}
        for n, xy in self._regions.items():
            prior.setdefault(n, np.array([xy[0], xy[1], 0.0]))
        assigned = match(self.objects, found, prior)
        touch = self._touch()
        for n, kind, _ in self.objects:
            tr = self.tracks[n]
            tr.grasped = bool(touch.get(n, False))
            tr.ever_grasped |= tr.grasped
            bi = assigned.get(n)
            tr.seen = bi is not None
            if bi is None:
                continue
            tr.pos, tr.quat = pose(found[bi], kind, hm)
            tr.seen_at = t
            if tr.start is None:
                tr.start = tr.pos.copy()
        self.last_heightmap = hm
        self.last_detections = self._describe_blobs(found, assigned)
        self._cache_t = t
        return self.tracks

    def _describe_blobs(self, found: list[Blob], assigned: dict[str, int]) -> list[Detection]:
        by_blob = {bi: n for n, bi in assigned.items()}
        out = []
        for bi, b in enumerate(found):
            k = classify(b)
            p, _ = pose(b, k)
            out.append(Detection(kind=k, color=b.color, pos=p, half=b.half.copy(), top=b.top, name=by_blob.get(bi)))
        return out

    def _touch(self) -> dict[str, bool]:
        """The gripper's touch sense: which object is between both fingers (not its pose)."""
        try:
            return dict(self.robot.observe().contacts)
        except Exception:
            return {}

    def _self_filter(self):
        """A function that says which points belong to the arm, from its links' current poses."""
        m, d = self.robot.model, self.robot.data
        lock = getattr(self.robot, "_lock", None)
        if lock is not None:
            with lock:
                xpos, xmat = d.geom_xpos[self._self_geoms].copy(), d.geom_xmat[self._self_geoms].copy()
        else:
            xpos, xmat = d.geom_xpos[self._self_geoms].copy(), d.geom_xmat[self._self_geoms].copy()
        types, sizes, rb = m.geom_type[self._self_geoms], m.geom_size[self._self_geoms], m.geom_rbound[self._self_geoms]

        def is_arm(p: np.ndarray) -> np.ndarray:
            hit = np.zeros(len(p), bool)
            for c, R, ty, sz, r in zip(xpos, xmat, types, sizes, rb):
                if ty in (mujoco.mjtGeom.mjGEOM_CAPSULE, mujoco.mjtGeom.mjGEOM_CYLINDER):
                    axis = R.reshape(3, 3)[:, 2]
                    s = np.clip((p - c) @ axis, -sz[1], sz[1])
                    dist = np.linalg.norm(p - c - s[:, None] * axis, axis=1)
                    hit |= dist < sz[0] + _SELF_MARGIN
                else:
                    hit |= np.linalg.norm(p - c, axis=1) < r + _SELF_MARGIN
            return hit

        return is_arm

    # ------------------------------------------------------------------ Perception protocol
    def world_state(self) -> WorldState:
        self.observe()
        objs, start, grasped = {}, {}, set()
        for n, kind, color in self.objects:
            tr = self.tracks[n]
            pos = tr.pos if tr.pos is not None else np.array([np.nan, np.nan, np.nan])
            objs[n] = ObjectState(name=n, kind=kind, color=self._declared_colors.get(n), pos=pos.copy(),
                                  quat=tr.quat.copy(), size=kind_info(kind).half_arr.copy(), grasped=tr.grasped)
            if tr.start is not None:
                start[n] = tr.start.copy()
            if tr.ever_grasped:
                grasped.add(n)
        return WorldState(objects=objs, start=start, ever_grasped=grasped)

    def scene(self) -> list[SceneObject]:
        state = self.world_state()
        # Objects never seen have no position to give the planner.
        seen = WorldState(objects={n: o for n, o in state.objects.items() if np.all(np.isfinite(o.pos))},
                          start=state.start, ever_grasped=state.ever_grasped)
        return describe(seen)

    def holds(self, predicate: str) -> bool:
        return check(predicate, self.world_state())

    def mark_grasped(self, name: str) -> None:
        """Tell vision an object was handled (e.g. the step that moved it), for `untouched`."""
        if name in self.tracks:
            self.tracks[name].ever_grasped = True

    def close(self) -> None:
        for c in self.cameras:
            c.close()


def _declared_regions(robot) -> dict[str, tuple[float, float]]:
    from sim.layout import REGIONS

    scene = getattr(robot, "scene", None)
    out = {}
    for o in getattr(scene, "objects", []) or []:
        if getattr(o, "at", None) in REGIONS:
            out[o.name] = REGIONS[o.at]
    return out


def _robot_geoms(model: mujoco.MjModel) -> np.ndarray:
    """Geoms of the arm: every body under the pedestal (the robot's own model, not the scene's)."""
    root = model.body("pedestal").id
    ids = []
    for g in range(model.ngeom):
        b = int(model.geom_bodyid[g])
        while b not in (0, root):
            b = int(model.body_parentid[b])
        if b == root:
            ids.append(g)
    return np.array(ids, dtype=int)
