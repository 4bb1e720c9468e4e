"""Any LeRobot `Robot` (so101_follower, so100_follower, koch_follower ...) as a hirobot robot.

LeRobot's robots speak flat dictionaries: `get_observation()` gives "<motor>.pos" values and
one HxWx3 frame per camera, `send_action()` takes "<motor>.pos" targets. This adapter turns
them into hirobot's Observation and Action:

    joints    every motor but the gripper, in observation_features order; radians (LeRobot's
              SO arms report degrees with use_degrees=True, converted here)
    gripper   the "gripper.pos" motor, LeRobot's 0..100 range as hirobot's 0 (open) .. 1 (closed)
    images    the robot's cameras by their configured names
    objects   none: a LeRobot arm has no object perception, so skills that need object poses
              (the scripted place/put_back, inverse kinematics) say so and fail before moving

Learned policies and recorded datasets see the robot's own units: `policy_state` /
`policy_action` / `native_action` give and take the vector LeRobot records in its datasets
(observation.state and action in observation_features order: degrees and 0..100 for an
SO-101), so a policy trained with LeRobot on this arm, or on sessions hirobot recorded on it,
gets exactly what it was trained on.

Time passes by itself on hardware: `advance` does nothing and the session runs on the wall
clock (the CLI turns --realtime on with --robot).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from skills.api import Action, Observation, SkillFailure

GRIPPER = "gripper"
GRIPPER_RANGE = 100.0  # LeRobot's MotorNormMode.RANGE_0_100


class NoPerception(SkillFailure):
    """A skill asked for something only object perception or a kinematic model can give."""


class LeRobotRobot:
    """A connected LeRobot `Robot` behind hirobot's Robot protocol."""

    perceives_objects = False

    def __init__(self, robot: Any, *, degrees: bool | None = None, home_joints: list[float] | None = None) -> None:
        self.robot = robot
        self.name = str(getattr(robot, "name", type(robot).__name__))
        features = dict(robot.observation_features)
        self.motors = [k[: -len(".pos")] for k, v in features.items() if k.endswith(".pos") and v is float]
        actions = [k[: -len(".pos")] for k in robot.action_features if k.endswith(".pos")]
        if self.motors != actions:
            raise ValueError(f"{self.name}: observed motors {self.motors} differ from commanded ones {actions}")
        self.cameras = [k for k, v in features.items() if isinstance(v, tuple) and len(v) == 3]
        self.has_gripper = GRIPPER in self.motors
        self.joint_names = [m for m in self.motors if m != GRIPPER]
        cfg = getattr(robot, "config", None)
        self.degrees = bool(getattr(cfg, "use_degrees", False)) if degrees is None else degrees
        self._last: dict[str, Any] | None = None
        self._t0: float | None = None
        first = self.observe()
        self.home_joints = np.asarray(home_joints, float) if home_joints is not None else first.joints.copy()

    # -- units ---------------------------------------------------------------------------------
    def _to_rad(self, v: np.ndarray) -> np.ndarray:
        return np.deg2rad(v) if self.degrees else v

    def _from_rad(self, v: np.ndarray) -> np.ndarray:
        return np.rad2deg(v) if self.degrees else v

    # -- Robot protocol ----------------------------------------------------------------------------
    def observe(self, render: bool = False) -> Observation:
        import time

        raw = self.robot.get_observation()
        self._last = raw
        now = time.monotonic()
        self._t0 = now if self._t0 is None else self._t0
        joints = self._to_rad(np.array([float(raw[f"{m}.pos"]) for m in self.joint_names], float))
        gripper = float(raw[f"{GRIPPER}.pos"]) / GRIPPER_RANGE if self.has_gripper else 0.0
        images = {c: np.asarray(raw[c]) for c in self.cameras if c in raw}
        return Observation(t=now - self._t0, joints=joints, gripper=float(np.clip(gripper, 0.0, 1.0)),
                           gripper_width=math.nan, ee_pos=np.full(3, math.nan), ee_quat=np.full(4, math.nan),
                           images=images, objects={}, contacts={})

    def act(self, action: Action) -> None:
        targets = self._from_rad(np.asarray(action.joints, float))
        if targets.shape != (len(self.joint_names),):
            raise ValueError(f"{self.name} has {len(self.joint_names)} joints, the action has {targets.shape}")
        cmd = {f"{m}.pos": float(v) for m, v in zip(self.joint_names, targets)}
        if self.has_gripper:
            cmd[f"{GRIPPER}.pos"] = float(np.clip(action.gripper, 0.0, 1.0)) * GRIPPER_RANGE
        self.robot.send_action(cmd)

    def advance(self, dt: float) -> None:
        """Hardware moves on its own; the executor's real-time clock paces the ticks."""

    def hold_action(self) -> Action:
        obs = self.observe()
        return Action(joints=obs.joints.copy(), gripper=obs.gripper)

    def ik(self, pos: np.ndarray, quat: np.ndarray | None = None, seed: np.ndarray | None = None) -> np.ndarray:
        raise NoPerception(f"{self.name} has no kinematic model in hirobot: skills that move the hand to a place "
                           "(place, put_back, home's lift) need one; use a learned policy skill on this robot")

    def state(self) -> Any:
        """What perception sees: no objects (this robot has no object perception)."""
        from sim.predicates import WorldState

        return WorldState(objects={})

    def render(self, camera: str) -> np.ndarray:
        raw = self._last or self.robot.get_observation()
        if camera not in raw:
            raise KeyError(f"{self.name} has no camera {camera!r} (cameras: {', '.join(self.cameras) or 'none'})")
        return np.asarray(raw[camera])

    def close(self) -> None:
        if getattr(self.robot, "is_connected", False):
            self.robot.disconnect()

    # -- what learned policies see -------------------------------------------------------------------
    def policy_state(self, obs: Observation) -> np.ndarray:
        """observation.state as LeRobot records it for this robot (its motors' own units)."""
        by_motor = dict(zip(self.joint_names, self._from_rad(np.asarray(obs.joints, float))))
        if self.has_gripper:
            by_motor[GRIPPER] = obs.gripper * GRIPPER_RANGE
        return np.array([by_motor[m] for m in self.motors], np.float32)

    def native_action(self, action: Action) -> np.ndarray:
        """An Action as the row LeRobot records for it (the inverse of `policy_action`)."""
        by_motor = dict(zip(self.joint_names, self._from_rad(np.asarray(action.joints, float))))
        if self.has_gripper:
            by_motor[GRIPPER] = float(np.clip(action.gripper, 0.0, 1.0)) * GRIPPER_RANGE
        return np.array([by_motor[m] for m in self.motors], np.float32)

    def policy_action(self, row: np.ndarray) -> Action:
        """A row of a policy's chunk in LeRobot's action layout, as hirobot's Action."""
        row = np.asarray(row, float)
        by_motor = dict(zip(self.motors, row))
        joints = self._to_rad(np.array([by_motor[m] for m in self.joint_names], float))
        gripper = by_motor.get(GRIPPER, 0.0) / GRIPPER_RANGE
        return Action(joints=joints, gripper=float(np.clip(gripper, 0.0, 1.0)))


def camera_configs(cameras: dict[str, dict[str, Any]] | None) -> dict[str, Any]:
    """{"front": {"type": "opencv", "index_or_path": 0, "width": 640, "height": 480, "fps": 30}}
    as LeRobot CameraConfig objects."""
    from lerobot.cameras import CameraConfig

    out = {}
    for name, spec in (cameras or {}).items():
        spec = dict(spec)
        kind = spec.pop("type", "opencv")
        try:
            out[name] = CameraConfig.get_choice_class(kind)(**spec)
        except Exception as e:
            raise ValueError(f"camera {name!r}: {type(e).__name__}: {e}") from None
    return out


def make_lerobot_robot(kind: str, port: str | None = None, *, robot_id: str | None = None,
                       cameras: dict[str, dict[str, Any]] | None = None, connect: bool = True,
                       **options: Any) -> LeRobotRobot:
    """A LeRobot robot by its registered type name (so101_follower, koch_follower ...), made
    with LeRobot's own factory, connected (calibrating on first use, as LeRobot does)."""
    try:
        import lerobot.robots  # noqa: F401  (registers the robot types)
        from lerobot.robots import RobotConfig, make_robot_from_config
    except ImportError:
        raise ValueError("driving a LeRobot robot needs LeRobot (Python 3.12+: pip install \"hirobot[lerobot]\")") from None
    _import_robot_modules()
    try:
        config_cls = RobotConfig.get_choice_class(kind)
    except Exception:
        known = ", ".join(sorted(RobotConfig.get_known_choices()))
        raise ValueError(f"unknown LeRobot robot {kind!r}; known: {known}") from None
    kw: dict[str, Any] = dict(options)
    if port is not None:
        kw["port"] = port
    if robot_id is not None:
        kw["id"] = robot_id
    if cameras:
        kw["cameras"] = camera_configs(cameras)
    try:
        robot = make_robot_from_config(config_cls(**kw))
        if connect:
            robot.connect()
    except Exception as e:
        said = " ".join(str(e).replace("\\n", " ").split())  # one line, whatever the driver wrote
        raise ValueError(f"could not start the {kind} robot: {type(e).__name__}: {said}") from None
    return LeRobotRobot(robot)


def _import_robot_modules() -> None:
    """LeRobot registers a robot type when its config module is imported."""
    import importlib
    import pkgutil

    import lerobot.robots as pkg

    for info in pkgutil.iter_modules(pkg.__path__):
        if info.ispkg:
            try:
                importlib.import_module(f"lerobot.robots.{info.name}")
            except Exception:
                pass  # a robot whose optional dependencies are missing is simply not offered
