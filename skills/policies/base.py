"""The policy interface: an observation in, a chunk of future actions out.

The shape follows the openpi convention so that a policy behind a websocket and one in this
process look the same to a skill: `infer(obs: dict) -> dict` where the answer holds
"actions", an array [T, action_dim] of joint targets followed by the gripper command, one row
per control tick starting at the tick the observation was taken.

The observation dict a hirobot policy receives (see `observation_dict`):
    "images":  {"front": HxWx3 uint8, "wrist": HxWx3 uint8}
    "state":   float32 [n_joints + 1]  (joint positions, then the gripper command 0..1)
    "prompt":  str                      (the step's language instruction)
"""

from __future__ import annotations

import abc
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from skills.api import Action, Observation


class PolicyMetadata(BaseModel):
    """What a skill needs to know to play a policy's chunks: sent first by a policy server."""

    model_config = ConfigDict(extra="allow")

    name: str = "policy"
    action_horizon: int = Field(10, ge=1, description="rows in every chunk the policy returns")
    action_dim: int = Field(7, ge=1, description="joint targets followed by the gripper command")
    rate_hz: float = Field(20.0, gt=0, description="control rate the chunk's rows are spaced at")
    cameras: list[str] = Field(default_factory=lambda: ["front", "wrist"])
    image_size: int | None = Field(None, description="side of the square images it wants; None: as observed")
    obs_history: int = Field(1, ge=1, description="observations it looks at: the last n control ticks")
    device: str | None = Field(None, description="where the model runs (cpu, cuda ...), when it says")


class PolicyError(RuntimeError):
    """A policy could not answer (a server error, a closed connection, a refused key)."""


class Policy(abc.ABC):
    """A chunking policy. Implementations must be safe to call from one background thread."""

    @property
    @abc.abstractmethod
    def metadata(self) -> PolicyMetadata: ...

    @abc.abstractmethod
    def infer(self, obs: dict[str, Any]) -> dict[str, Any]:
        """{"actions": float array [T, action_dim]} plus optional "done" (bool): the task is finished."""

    def reset(self) -> None:
        """Forget any per-episode state (called when a step starts)."""

    def observe(self, obs: dict[str, Any]) -> None:
        """One control tick's observation; called every tick when `metadata.obs_history` > 1."""

    def problems(self, obs: dict[str, Any], action_dim: int | None = None) -> list[str]:
        """Why this observation (and a robot taking `action_dim` values) does not fit the policy;
        [] when it does. The skill refuses the step with these before the arm moves."""
        meta = self.metadata
        out = [f"camera {c!r} is missing (the robot has: {', '.join(sorted(obs.get('images', {}))) or 'none'})"
               for c in meta.cameras if c not in obs.get("images", {})]
        if action_dim is not None and meta.action_dim != action_dim:
            out.append(f"the policy returns {meta.action_dim} action values, the robot takes {action_dim}")
        return out

    def close(self) -> None:
        """Release connections or memory."""


def state_vector(obs: Observation) -> np.ndarray:
    """The proprioceptive state every hirobot policy sees: joints then the gripper command."""
    return np.concatenate([np.asarray(obs.joints, np.float32), np.float32([obs.gripper])]).astype(np.float32)


def observation_dict(obs: Observation, instruction: str, cameras: list[str] | None = None) -> dict[str, Any]:
    images = {k: v for k, v in obs.images.items() if cameras is None or k in cameras}
    return {"images": images, "state": state_vector(obs), "prompt": instruction}


def action_from_row(row: np.ndarray, n_joints: int) -> Action:
    row = np.asarray(row, float)
    return Action(joints=row[:n_joints].copy(), gripper=float(np.clip(row[n_joints], 0.0, 1.0)))


def check_chunk(actions: Any, meta: PolicyMetadata) -> np.ndarray:
    """The chunk as float64 [T, action_dim], or a PolicyError saying what is wrong with it."""
    a = np.asarray(actions, dtype=float)
    if a.ndim == 1:
        a = a[None, :]
    if a.ndim != 2 or a.shape[0] < 1 or a.shape[1] != meta.action_dim:
        raise PolicyError(f"policy {meta.name!r} returned actions of shape {a.shape}, expected [T, {meta.action_dim}]")
    if not np.all(np.isfinite(a)):
        raise PolicyError(f"policy {meta.name!r} returned non-finite actions")
    return a
