"""The simulated tabletop robot: a MuJoCo arm with a parallel-jaw gripper behind `skills.api.Robot`.

Rates:
- physics: 2 ms timestep (500 Hz), implicit-fast integrator, elliptic friction cones
  (impratio 10) so grasps hold by friction without creeping;
- control: 20 Hz (`CONTROL_HZ`). `advance(dt)` steps physics in lockstep: dt = 0.05 s is 25
  physics steps. The bookkeeping that needs contacts (who touches both fingers, the sticky
  "has been grasped" record, perturbations, video frames) runs once per 50 ms control tick.

The arm is commanded by joint position targets (position servos with gravity compensation on
every arm body); the gripper command 0..1 maps linearly to the finger targets from fully open
(15 cm between the pads) to fully closed, and the finger servos' force limit (18 N) is the grip
force. Objects are free bodies held only by contact and friction: the model has no equality
constraints, and nothing here ever moves an object the gripper touches.

Threads: `observe`, `act`, `advance`, `state`, `reset` and `begin_step` take one lock, so an
executor's control thread and an evaluator may call them concurrently. Cameras are rendered
with one `mujoco.Renderer` per calling thread, because an EGL context belongs to the thread
that made it current.

Perturbations (`perturbation=`):
- "drop_first_grasp": the first time an object held between both fingers has been lifted 3 cm,
  the fingers are forced open for 0.3 s and the object falls; the gripper's command is then
  obeyed again.
- "move_second_object_during_first_step": 1.5 s into step 0 (see `begin_step`), the scene's
  second object is lifted away and set down on another free spot, as a person would. This is
  the one place an object is moved directly, and it is the person, not the robot.
"""

from __future__ import annotations

import os

os.environ.setdefault("MUJOCO_GL", "egl")

import threading  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import mujoco  # noqa: E402
import numpy as np  # noqa: E402

from sim.gl import close_renderers, plain_renderer, release_current_context  # noqa: E402
from sim.kinds import GRIPPER_MAX_WIDTH, kind_info  # noqa: E402
from sim.kinematics import IKError, IKSolver, quat_down, tool_yaw, wrap  # noqa: E402
from sim.layout import CLEARANCE, footprint, free_spot, layout  # noqa: E402
from sim.mjcf import (  # noqa: E402
    ARM_JOINTS, BASE_POS, FINGER_TRAVEL, FOREARM, PHYSICS_DT, SHOULDER_HEIGHT, TCP_OFFSET, UPPER_ARM,
    Placement, scene_xml,
)
from sim.predicates import WorldState  # noqa: E402
from sim.scenario import SceneSpec  # noqa: E402
from skills.api import Action, Observation, ObjectState  # noqa: E402

CONTROL_HZ = 20.0
CONTROL_DT = 1.0 / CONTROL_HZ
PERTURBATIONS = ("drop_first_grasp", "move_second_object_during_first_step")
# The vertical distance from the wrist pitch joint (j4) to the tool centre point.
_WRIST_TO_TCP = 0.07 + 0.06 + TCP_OFFSET
_HOME_TCP = (-0.2, 0.0, 0.33)


@dataclass
class _Perturb:
    kind: str | None
    fired: bool = False
    release_until: float = -1.0  # sim time until which the fingers are forced open


class SimRobot:
    """A simulated arm at a table set from a `SceneSpec`. Implements `skills.api.Robot`."""

    joint_names: list[str]
    home_joints: np.ndarray

    def __init__(self, scene: SceneSpec | None = None, render_size: int = 224,
                 perturbation: str | None = None, cameras: tuple[str, ...] = ("front", "wrist")):
        if perturbation is not None and perturbation not in PERTURBATIONS:
            raise ValueError(f"unknown perturbation {perturbation!r}; known: {', '.join(PERTURBATIONS)}")
        self.scene = scene if scene is not None else SceneSpec(objects=[])
        self.render_size = int(render_size)
        self.cameras = tuple(cameras)
        self.perturbation = perturbation
        self.placements: list[Placement] = layout(self.scene)
        self.model = mujoco.MjModel.from_xml_string(scene_xml(self.placements, self.render_size))
        self.data = mujoco.MjData(self.model)
        self.joint_names = list(ARM_JOINTS)
        self.names = [p.name for p in self.placements]
        self.kinds = {p.name: p.kind for p in self.placements}
        self.colors = {p.name: p.color for p in self.placements}
        self._lock = threading.RLock()
        self._renderers: dict[int, mujoco.Renderer] = {}
        self._ik = IKSolver(self.model, "tcp", self.joint_names)
        self._index()
        self.home_joints = self._ik.solve(np.array(_HOME_TCP), quat_down(0.0), [self._analytic_seed(_HOME_TCP, 0.0)])
        self.recorder = None  # a sim.video.FrameRecorder, fed during advance()
        self.reset()

    @classmethod
    def from_scene(cls, scene: SceneSpec, render_size: int = 224, perturbation: str | None = None,
                   **kw) -> "SimRobot":
        return cls(scene, render_size=render_size, perturbation=perturbation, **kw)

    # ----------------------------------------------------------------- model bookkeeping
    def _index(self) -> None:
        m = self.model
        self._qadr = np.array([m.joint(j).qposadr[0] for j in self.joint_names])
        self._vadr = np.array([m.joint(j).dofadr[0] for j in self.joint_names])
        self._act_arm = np.array([m.actuator(j).id for j in self.joint_names])
        self._act_fingers = np.array([m.actuator("finger_left").id, m.actuator("finger_right").id])
        self._finger_q = np.array([m.joint("finger_left").qposadr[0], m.joint("finger_right").qposadr[0]])
        self._tcp = m.site("tcp").id
        self._obj_body = [m.body(f"obj{i}").id for i in range(len(self.placements))]
        self._obj_qadr = [m.joint(f"obj{i}").qposadr[0] for i in range(len(self.placements))]
        self._obj_vadr = [m.joint(f"obj{i}").dofadr[0] for i in range(len(self.placements))]
        # geom id -> object index (-1: not an object) and -> finger side (0 left, 1 right, -1 neither)
        self._geom_obj = np.full(m.ngeom, -1)
        for i, b in enumerate(self._obj_body):
            self._geom_obj[m.geom_bodyid == b] = i
        self._geom_finger = np.full(m.ngeom, -1)
        for side, body in enumerate(("finger_left", "finger_right")):
            self._geom_finger[m.geom_bodyid == m.body(body).id] = side

    def _analytic_seed(self, pos, yaw: float) -> np.ndarray:
        """A closed-form guess for a downward-pointing tool: planar two-link arm plus wrist."""
        bx, by, bz = BASE_POS
        x, y, z = pos
        j1 = float(np.arctan2(y - by, x - bx))
        r = float(np.hypot(x - bx, y - by))
        wr, wz = r, z + _WRIST_TO_TCP - (bz + SHOULDER_HEIGHT)
        d = min(np.hypot(wr, wz), UPPER_ARM + FOREARM - 1e-3)
        c3 = np.clip((d * d - UPPER_ARM**2 - FOREARM**2) / (2 * UPPER_ARM * FOREARM), -1, 1)
        j3 = float(np.arccos(c3))
        j2 = float(np.arctan2(wr, wz) - np.arctan2(FOREARM * np.sin(j3), UPPER_ARM + FOREARM * np.cos(j3)))
        j4 = float(np.pi - j2 - j3)
        j6 = wrap(yaw - j1)
        return np.array([j1, j2, j3, j4, 0.0, j6])

    # ----------------------------------------------------------------- episode
    def reset(self) -> None:
        """Back to the scene's start: arm at home, gripper open, objects at their placements."""
        with self._lock:
            mujoco.mj_resetData(self.model, self.data)
            self.data.qpos[self._qadr] = self.home_joints
            self.data.ctrl[self._act_arm] = self.home_joints
            self._gripper_cmd = 0.0
            self.data.ctrl[self._act_fingers] = 0.0
            mujoco.mj_forward(self.model, self.data)
            self._ever_grasped: set[str] = set()
            self._held: set[str] = set()
            self._touch: dict[str, bool] = {n: False for n in self.names}
            self._perturb = _Perturb(self.perturbation)
            self._step_index = 0
            self._step_t0 = 0.0
            self._tick = 0
            self._rng = np.random.default_rng(self.scene.seed + 7919)
            # Let the objects settle onto the table before the start poses are taken.
            for _ in range(int(0.3 / PHYSICS_DT)):
                mujoco.mj_step(self.model, self.data)
            self.data.time = 0.0
            self.start_poses: dict[str, np.ndarray] = {
                n: self.data.xpos[self._obj_body[i]].copy() for i, n in enumerate(self.names)
            }

    def begin_step(self, index: int) -> None:
        """Mark the start of plan step `index` (0-based); perturbations are keyed to steps."""
        with self._lock:
            self._step_index = int(index)
            self._step_t0 = float(self.data.time)

    # ----------------------------------------------------------------- Robot protocol
    def observe(self, render: bool = False) -> Observation:
        with self._lock:
            d = self.data
            quat = np.zeros(4)
            mujoco.mju_mat2Quat(quat, d.site_xmat[self._tcp])
            obs = Observation(
                t=float(d.time),
                joints=d.qpos[self._qadr].copy(),
                gripper=float(self._gripper_cmd),
                gripper_width=self._gripper_width(),
                ee_pos=d.site_xpos[self._tcp].copy(),
                ee_quat=quat,
                objects=self._object_states(),
                contacts=dict(self._touch),
            )
            scenes = self._update_scenes() if render else None
        if scenes is not None:
            obs.images = {cam: r.render() for cam, r in scenes}
            release_current_context()
        return obs

    def act(self, action: Action) -> None:
        q = np.asarray(action.joints, float).reshape(-1)
        if q.shape != (len(self.joint_names),) or not np.all(np.isfinite(q)):
            raise ValueError(f"an action needs {len(self.joint_names)} finite joint targets, got {q!r}")
        lo, hi = self.model.actuator_ctrlrange[self._act_arm].T
        with self._lock:
            self.data.ctrl[self._act_arm] = np.clip(q, lo, hi)
            self._gripper_cmd = float(np.clip(action.gripper, 0.0, 1.0))
            self._apply_gripper()

    def advance(self, dt: float) -> None:
        """Step physics for `dt` seconds, in control ticks of at most 50 ms."""
        steps = max(1, int(round(dt / PHYSICS_DT)))
        per_tick = int(round(CONTROL_DT / PHYSICS_DT))
        while steps > 0:
            n = min(steps, per_tick)
            with self._lock:
                self._apply_gripper()
                mujoco.mj_step(self.model, self.data, nstep=n)
                self._after_tick()
                rec = self.recorder
            steps -= n
            if rec is not None:
                rec.on_tick(self)

    def ik(self, pos, quat=None, seed=None) -> np.ndarray:
        """Joint positions putting the tool centre point at `pos` (and `quat`).

        Raises `sim.kinematics.IKError` (a ValueError) when the pose is out of reach.
        """
        pos = np.asarray(pos, float)
        seeds = [] if seed is None else [np.asarray(seed, float)]
        if quat is not None:
            seeds.append(self._analytic_seed(pos, tool_yaw(quat)))
        with self._lock:
            seeds.append(self.data.qpos[self._qadr].copy())
        seeds.append(self.home_joints)
        return self._ik.solve(pos, quat, seeds)

    def fk(self, joints) -> tuple[np.ndarray, np.ndarray]:
        """Tool centre point (pos, quat) at the given joint positions."""
        return self._ik.fk(np.asarray(joints, float))

    def hold_action(self) -> Action:
        with self._lock:
            return Action(joints=self.data.qpos[self._qadr].copy(), gripper=float(self._gripper_cmd))

    # ----------------------------------------------------------------- state and checks
    def state(self) -> WorldState:
        """What the task predicates need: poses, start poses, who is held and who ever was."""
        with self._lock:
            speeds = {n: float(np.linalg.norm(self.data.qvel[self._obj_vadr[i]:self._obj_vadr[i] + 3]))
                      for i, n in enumerate(self.names)}
            return WorldState(objects=self._object_states(), start={k: v.copy() for k, v in self.start_poses.items()},
                              ever_grasped=set(self._ever_grasped), speeds=speeds)

    def arm_speed(self) -> float:
        """Largest arm joint speed (rad/s): near zero when the arm is at rest."""
        with self._lock:
            return float(np.max(np.abs(self.data.qvel[self._vadr])))

    def _gripper_width(self) -> float:
        return float(GRIPPER_MAX_WIDTH - self.data.qpos[self._finger_q].sum())

    def _object_states(self) -> dict[str, ObjectState]:
        d = self.data
        out = {}
        for i, n in enumerate(self.names):
            b = self._obj_body[i]
            out[n] = ObjectState(name=n, kind=self.kinds[n], color=self.colors[n], pos=d.xpos[b].copy(),
                                 quat=d.xquat[b].copy(), size=kind_info(self.kinds[n]).half_arr.copy(),
                                 grasped=n in self._held)
        return out

    def _apply_gripper(self) -> None:
        forced_open = self._perturb.release_until > self.data.time
        target = 0.0 if forced_open else self._gripper_cmd * FINGER_TRAVEL
        self.data.ctrl[self._act_fingers] = target

    def _finger_contacts(self) -> tuple[set[int], set[int]]:
        d = self.data
        left, right = set(), set()
        if d.ncon:
            g = d.contact.geom[: d.ncon]
            for a, b in g:
                for f, o in ((a, b), (b, a)):
                    side, obj = self._geom_finger[f], self._geom_obj[o]
                    if side >= 0 and obj >= 0:
                        (left if side == 0 else right).add(int(obj))
        return left, right

    def _after_tick(self) -> None:
        left, right = self._finger_contacts()
        both = left & right
        self._held = {self.names[i] for i in both}
        self._touch = {n: (i in both) for i, n in enumerate(self.names)}
        if self._gripper_cmd > 0.3:
            self._ever_grasped |= self._held
        self._tick += 1
        self._run_perturbations()

    # ----------------------------------------------------------------- perturbations
    def _run_perturbations(self) -> None:
        p = self._perturb
        if p.kind is None or p.fired:
            return
        t = float(self.data.time)
        if p.kind == "drop_first_grasp":
            for n in self._held:
                i = self.names.index(n)
                if self.data.xpos[self._obj_body[i]][2] > self.start_poses[n][2] + 0.03:
                    p.fired = True
                    p.release_until = t + 0.3
                    self._apply_gripper()
                    return
        elif p.kind == "move_second_object_during_first_step":
            if self._step_index == 0 and t - self._step_t0 >= 1.5 and len(self.names) >= 2:
                name = self.names[1]
                if name in self._held:
                    return  # the person waits until the robot lets go of it
                p.fired = self._move_by_hand(1)

    def _move_by_hand(self, i: int) -> bool:
        """Put object `i` on a free spot away from everything and from the gripper (a person's move)."""
        d = self.data
        kind = self.kinds[self.names[i]]
        yaw = 0.0
        half = footprint(kind, yaw)
        taken = []
        for j, n in enumerate(self.names):
            if j != i:
                taken.append((d.xpos[self._obj_body[j]][:2].copy(), footprint(self.kinds[n], 0.0) * 1.42))
        tcp = d.site_xpos[self._tcp][:2].copy()
        taken.append((tcp, np.array([0.08, 0.08])))
        here = d.xpos[self._obj_body[i]][:2].copy()
        for _ in range(20):
            xy = free_spot(self._rng, half, taken, clearance=CLEARANCE)
            if xy is None:
                return False
            if np.linalg.norm(xy - here) > 0.08:
                break
        else:
            return False
        qa, va = self._obj_qadr[i], self._obj_vadr[i]
        d.qpos[qa:qa + 3] = [xy[0], xy[1], kind_info(kind).half[2] + 0.002]
        d.qpos[qa + 3:qa + 7] = [1.0, 0.0, 0.0, 0.0]
        d.qvel[va:va + 6] = 0.0
        mujoco.mj_forward(self.model, d)
        return True

    # ----------------------------------------------------------------- cameras
    def _update_scenes(self, cameras: tuple[str, ...] | None = None):
        """Copy the current state into per-camera scenes (under the lock); render them later."""
        out = []
        for cam in cameras or self.cameras:
            r = self._renderers_for(cam)
            r.update_scene(self.data, camera=cam)
            out.append((cam, r))
        return out

    def _renderers_for(self, cam: str) -> mujoco.Renderer:
        # One renderer per (thread, camera): the scene of one camera must survive until rendered.
        key = (threading.get_ident(), cam)
        r = self._renderers.get(key)
        if r is None:
            r = plain_renderer(self.model, self.render_size, self.render_size)
            self._renderers[key] = r
        return r

    def render(self, camera: str = "front") -> np.ndarray:
        """One RGB image (HxWx3 uint8) from `camera`."""
        with self._lock:
            (_, r), = self._update_scenes((camera,))
        frame = r.render()
        release_current_context()
        return frame

    def release_thread(self) -> None:
        """Close the renderers the calling thread made. A thread that rendered (a control
        loop recording video) calls this before it ends: an EGL context can only be released
        by its own thread, and a later thread may reuse the same thread id."""
        me = threading.get_ident()
        with self._lock:
            mine = [k for k in self._renderers if k[0] == me]
            close_renderers([self._renderers.pop(k) for k in mine])

    def close(self) -> None:
        self.release_thread()
        close_renderers(self._renderers.values())
        self._renderers.clear()


__all__ = ["SimRobot", "IKError", "CONTROL_HZ", "CONTROL_DT", "PHYSICS_DT", "PERTURBATIONS"]

