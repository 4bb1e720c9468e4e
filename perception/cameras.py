"""The simulator's cameras as a perception system sees them: intrinsics, extrinsics, RGB and
depth frames, and back-projection of pixels to points in the table frame.

The table frame is the MuJoCo world frame of `sim.mjcf`: origin at the centre of the table
top, +x away from the robot, +y to the robot's left, +z up.

Only public parts of `SimRobot` are used (`model`, `data`, `_lock`), so this works on any
robot object that carries a MuJoCo model and data. Renderers are kept per (thread, camera,
size) because an EGL context belongs to the thread that made it current.
"""

from __future__ import annotations

import os

os.environ.setdefault("MUJOCO_GL", "egl")

import threading  # noqa: E402
from contextlib import nullcontext  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import Any  # noqa: E402

import mujoco  # noqa: E402
import numpy as np  # noqa: E402

from sim.gl import close_renderers, plain_renderer, release_current_context  # noqa: E402


@dataclass(frozen=True)
class Intrinsics:
    """A pinhole camera: focal length and principal point in pixels (square pixels)."""

    width: int
    height: int
    fx: float
    fy: float
    cx: float
    cy: float

    @property
    def matrix(self) -> np.ndarray:
        return np.array([[self.fx, 0.0, self.cx], [0.0, self.fy, self.cy], [0.0, 0.0, 1.0]])


@dataclass(frozen=True)
class Extrinsics:
    """Camera pose in the table frame. `rot` columns are the camera's x (image right), y (image
    up) and z (backwards: MuJoCo cameras look along their -z) axes."""

    pos: np.ndarray
    rot: np.ndarray

    def to_world(self, p_cam: np.ndarray) -> np.ndarray:
        return p_cam @ self.rot.T + self.pos

    def to_camera(self, p_world: np.ndarray) -> np.ndarray:
        return (np.asarray(p_world, float) - self.pos) @ self.rot


@dataclass
class Frame:
    """One RGB-D frame and the camera it came from."""

    camera: str
    rgb: np.ndarray  # HxWx3 uint8, row 0 at the top
    depth: np.ndarray  # HxW float32, metres along the viewing axis
    intrinsics: Intrinsics
    extrinsics: Extrinsics
    t: float  # simulated time of the frame

    def points(self) -> np.ndarray:
        """HxWx3 table-frame point of every pixel."""
        return backproject(self.depth, self.intrinsics, self.extrinsics)


def intrinsics(model: mujoco.MjModel, camera: str, width: int, height: int) -> Intrinsics:
    """MuJoCo's `fovy` is the full vertical field of view; pixels are square."""
    cam = model.camera(camera)
    fovy = float(cam.fovy[0])
    f = 0.5 * height / np.tan(np.radians(fovy) / 2.0)
    return Intrinsics(width=width, height=height, fx=f, fy=f, cx=width / 2.0, cy=height / 2.0)


def extrinsics(model: mujoco.MjModel, data: mujoco.MjData, camera: str) -> Extrinsics:
    """From `data.cam_xpos` / `cam_xmat`, valid after mj_forward or a step (the wrist camera moves)."""
    cid = model.camera(camera).id
    return Extrinsics(pos=data.cam_xpos[cid].copy(), rot=data.cam_xmat[cid].reshape(3, 3).copy())


def pixel_rays(intr: Intrinsics) -> np.ndarray:
    """HxWx3 camera-frame directions with unit depth (z = -1) through every pixel centre."""
    u = (np.arange(intr.width) + 0.5 - intr.cx) / intr.fx
    v = (np.arange(intr.height) + 0.5 - intr.cy) / intr.fy
    uu, vv = np.meshgrid(u, v)
    # Image rows grow downwards, the camera's y axis points up.
    return np.stack([uu, -vv, -np.ones_like(uu)], axis=-1)


def backproject(depth: np.ndarray, intr: Intrinsics, ext: Extrinsics) -> np.ndarray:
    """Table-frame points of a depth image (depth along the viewing axis, as MuJoCo renders it)."""
    p_cam = pixel_rays(intr) * np.asarray(depth, float)[..., None]
    return ext.to_world(p_cam.reshape(-1, 3)).reshape(depth.shape + (3,))


def project(points: np.ndarray, intr: Intrinsics, ext: Extrinsics) -> np.ndarray:
    """Nx2 pixel coordinates (u right, v down) of table-frame points."""
    p = ext.to_camera(np.atleast_2d(points))
    z = -p[:, 2]
    return np.stack([intr.fx * p[:, 0] / z + intr.cx, -intr.fy * p[:, 1] / z + intr.cy], axis=1)


class RGBDCamera:
    """Renders RGB and depth from one of a robot's MuJoCo cameras at its own resolution."""

    def __init__(self, robot: Any, camera: str = "front", width: int = 320, height: int = 320) -> None:
        self.robot = robot
        self.camera = camera
        self.width, self.height = int(width), int(height)
        self.intrinsics = intrinsics(robot.model, camera, self.width, self.height)
        self._renderers: dict[int, mujoco.Renderer] = {}

    def _renderer(self) -> mujoco.Renderer:
        key = threading.get_ident()
        r = self._renderers.get(key)
        if r is None:
            r = plain_renderer(self.robot.model, self.height, self.width)
            self._renderers[key] = r
        return r

    def capture(self) -> Frame:
        r = self._renderer()
        lock = getattr(self.robot, "_lock", None) or nullcontext()
        with lock:
            # Copy the state into the scene under the lock; draw outside it so control ticks go on.
            r.update_scene(self.robot.data, camera=self.camera)
            ext = extrinsics(self.robot.model, self.robot.data, self.camera)
            t = float(self.robot.data.time)
        r.disable_depth_rendering()
        rgb = r.render().copy()
        r.enable_depth_rendering()
        depth = r.render().copy()
        r.disable_depth_rendering()
        release_current_context()  # so any thread may close this renderer later
        return Frame(camera=self.camera, rgb=rgb, depth=depth.astype(np.float32), intrinsics=self.intrinsics,
                     extrinsics=ext, t=t)

    def close(self) -> None:
        close_renderers(self._renderers.values())
        self._renderers.clear()
