"""The skill API: what a skill is, what it sees, what it commands, how it ends.

A skill is a generator driven by the executor at the skill's control rate:

    def run(self, args, ctx):
        obs = ctx.first_observation
        while not done:
            obs = yield Action(...)      # one tick: the executor applies it, then sends the next obs
        return Outcome.success("placed")  # or Outcome.failure("the cup slipped")

Raising SkillFailure ends the step as a failure with that reason; any other exception also
ends it as a failure (the executor catches it), never as a crash of the agent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, ClassVar, Generator, Protocol, runtime_checkable

import numpy as np
from pydantic import BaseModel


@dataclass
class ObjectState:
    """Where an object is, in the table frame (metres; +x away from the robot, +y to its left)."""

    name: str
    kind: str
    color: str | None
    pos: np.ndarray  # (3,) centre of the object
    quat: np.ndarray  # (4,) w, x, y, z
    size: np.ndarray  # (3,) half-extents of its bounding box, axis-aligned in its own frame
    grasped: bool = False


@dataclass
class Observation:
    """One tick of what the robot senses."""

    t: float  # seconds on the robot's clock (simulated time in the simulator)
    joints: np.ndarray  # arm joint positions (rad)
    gripper: float  # 0 open .. 1 closed (commanded) — measured opening is `gripper_width`
    gripper_width: float  # metres between the fingers
    ee_pos: np.ndarray  # (3,) tool centre point in the table frame
    ee_quat: np.ndarray  # (4,) w, x, y, z
    images: dict[str, np.ndarray] = field(default_factory=dict)  # "front", "wrist": HxWx3 uint8
    objects: dict[str, ObjectState] = field(default_factory=dict)  # true poses (checks, scripted skills)
    contacts: dict[str, bool] = field(default_factory=dict)  # object name -> touching both fingers


@dataclass
class Action:
    """Joint position targets for the arm and a gripper command (0 open .. 1 closed)."""

    joints: np.ndarray
    gripper: float


@runtime_checkable
class Robot(Protocol):
    """What the executor and the skills need from a robot, simulated or real."""

    joint_names: list[str]
    home_joints: np.ndarray

    def observe(self, render: bool = False) -> Observation: ...

    def act(self, action: Action) -> None:
        """Set the targets that hold until the next call."""

    def advance(self, dt: float) -> None:
        """Let `dt` seconds of the world pass (simulated robots step physics; real ones sleep)."""

    def ik(self, pos: np.ndarray, quat: np.ndarray | None = None, seed: np.ndarray | None = None) -> np.ndarray:
        """Joint positions that put the tool centre point at `pos` (and `quat` if given)."""

    def hold_action(self) -> Action:
        """An action that keeps the arm where it is now: the arm at rest."""


@runtime_checkable
class SimulatorHooks(Protocol):
    """What a simulated robot offers beyond `Robot`, asked for by type rather than probed
    attribute by attribute: perturbations keyed to step indices (`begin_step`, called as a
    step starts), and per-thread resources such as render contexts (`release_thread`, called
    by a control thread as it ends). A real robot has neither and is never asked."""

    def begin_step(self, index: int) -> None: ...

    def release_thread(self) -> None: ...


@runtime_checkable
class Cameras(Protocol):
    """A robot whose cameras can be rendered (what a planner that sees looks at)."""

    def render(self, camera: str = "front") -> np.ndarray: ...


class Status(str, Enum):
    success = "success"
    failure = "failure"
    cancelled = "cancelled"


class Outcome(BaseModel):
    status: Status
    reason: str = ""
    detail: dict[str, Any] = {}

    @classmethod
    def success(cls, reason: str = "", **detail: Any) -> "Outcome":
        return cls(status=Status.success, reason=reason, detail=detail)

    @classmethod
    def failure(cls, reason: str, **detail: Any) -> "Outcome":
        return cls(status=Status.failure, reason=reason, detail=detail)

    @classmethod
    def cancelled(cls, reason: str = "cancelled") -> "Outcome":
        return cls(status=Status.cancelled, reason=reason)

    @property
    def ok(self) -> bool:
        return self.status == Status.success


class SkillFailure(Exception):
    """Raised inside a skill to end the step as a failure with this reason."""


@dataclass
class SkillContext:
    """What a skill may use besides its arguments."""

    robot: Robot
    first_observation: Observation
    instruction: str = ""  # the planner's short language instruction for this step
    rate_hz: float = 20.0
    extras: dict[str, Any] = field(default_factory=dict)  # e.g. a policy client, a perception model

    @property
    def dt(self) -> float:
        return 1.0 / self.rate_hz

    def find(self, obs: Observation, name: str) -> ObjectState:
        """The object called `name` in `obs`, or a SkillFailure that says it is not there."""
        for key, o in obs.objects.items():
            if key.lower() == name.lower():
                return o
        if not obs.objects and getattr(self.robot, "perceives_objects", True) is False:
            raise SkillFailure(f"this skill needs to know where {name!r} is, and this robot has no object "
                               "perception (it reports no object poses); use a learned policy skill instead")
        raise SkillFailure(f"there is no object called {name!r} in the scene")


SkillRun = Generator[Action, Observation, Outcome]


class Skill:
    """Base class of every skill. Subclasses set the class attributes and implement `run`."""

    name: ClassVar[str]
    description: ClassVar[str]
    Args: ClassVar[type[BaseModel]]
    rate_hz: ClassVar[float] = 20.0
    # Seconds after which the executor gives up on the step.
    time_limit_s: ClassVar[float] = 30.0

    def run(self, args: BaseModel, ctx: SkillContext) -> SkillRun:  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def catalogue_entry(cls) -> dict[str, Any]:
        """How the planner sees this skill: name, description and the arguments' JSON schema."""
        return {
            "name": cls.name,
            "description": cls.description,
            "args": cls.Args.model_json_schema(),
        }
