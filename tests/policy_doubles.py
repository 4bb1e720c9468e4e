"""Policies for tests: predictable chunks, adjustable latency, failures on demand."""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np

from skills.policies.base import Policy, PolicyMetadata


class RampPolicy(Policy):
    """Joint 0 ramps at `speed` rad per tick from the observed state; `offset` is a per-call bias.

    The bias makes consecutive chunks disagree, as a real model's do, so the seams show.
    """

    def __init__(self, horizon: int = 10, speed: float = 0.01, latency_s: float = 0.0, offset: float = 0.0,
                 n_joints: int = 6, fail_on_call: int | None = None) -> None:
        self.meta = PolicyMetadata(name="ramp", action_horizon=horizon, action_dim=n_joints + 1, cameras=[])
        self.speed, self.latency_s, self.offset = speed, latency_s, offset
        self.calls = 0
        self.fail_on_call = fail_on_call
        self.prompts: list[str] = []
        self._lock = threading.Lock()

    @property
    def metadata(self) -> PolicyMetadata:
        return self.meta

    def infer(self, obs: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self.calls += 1
            n = self.calls
        self.prompts.append(str(obs.get("prompt")))
        if self.fail_on_call is not None and n == self.fail_on_call:
            raise ZeroDivisionError("the model divided by zero")
        if self.latency_s:
            time.sleep(self.latency_s)
        state = np.asarray(obs["state"], float)
        T = self.meta.action_horizon
        chunk = np.tile(state, (T, 1))
        # Row 0 is the target for the tick of this observation: one step on from the state.
        chunk[:, 0] = state[0] + self.speed * np.arange(1, T + 1) + (self.offset if n % 2 else -self.offset)
        return {"actions": chunk}
