"""A LeRobot policy checkpoint (act, diffusion, smolvla, pi0 ...) run through LeRobot itself.

Loading and inference follow LeRobot's own path, so a checkpoint gives here the actions it
gives in LeRobot:

    config    PreTrainedConfig.from_pretrained(folder)
    policy    get_policy_class(config.type).from_pretrained(folder), moved to the device
    pre/post  make_pre_post_processors(config, pretrained_path=folder): normalization with the
              checkpoint's statistics, the tokenizer step that turns the step's instruction
              (the batch's "task") into language tokens, device placement
    a chunk   prepare_observation_for_inference -> preprocessor -> predict_action_chunk ->
              postprocessor on each row

Observation history: a policy whose config asks for `n_obs_steps` > 1 (Diffusion) gets the
last n observations at the control rate, the first one repeated until there are n, as
LeRobot's `select_action` keeps them. The skill feeds every tick through `observe`.

hirobot's observation (cameras by name, state = joints + gripper) is mapped onto the input
features the config declares: `observation.images.<camera>` (a rename map says which hirobot
camera feeds which policy camera), `observation.state`, image sizes (frames are resized to the
declared height and width). `problems()` lists every mismatch so a step is refused before the
arm moves.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

import numpy as np

from skills.policies.base import Policy, PolicyError, PolicyMetadata
from skills.policies.devices import pick_device

IMAGE_PREFIX = "observation.images."
STATE_KEY = "observation.state"


def lerobot_available() -> bool:
    try:
        import lerobot.policies.factory  # noqa: F401
    except ImportError:
        return False
    return True


def resize_image(img: np.ndarray, height: int, width: int) -> np.ndarray:
    """An HxWx3 uint8 frame at the size a policy declares (bilinear, as camera drivers scale)."""
    if img.shape[0] == height and img.shape[1] == width:
        return img
    from PIL import Image

    return np.array(Image.fromarray(np.ascontiguousarray(img)).resize((width, height), Image.BILINEAR))


class LeRobotPolicy(Policy):
    """A LeRobot `PreTrainedPolicy` with its processors behind hirobot's Policy interface."""

    def __init__(self, folder: str | Path, *, device: str | None = None, name: str | None = None,
                 cameras: dict[str, str] | None = None, rate_hz: float | None = None) -> None:
        """`cameras` maps the policy's camera names to hirobot's ({"laptop": "front"}); by default
        each policy camera is the hirobot camera of the same name."""
        import torch
        from lerobot.configs.policies import PreTrainedConfig
        from lerobot.policies.factory import get_policy_class, make_pre_post_processors

        self.folder = Path(folder)
        try:
            self.device = pick_device(device)
        except ValueError as e:
            raise PolicyError(str(e)) from None
        self._torch = torch
        try:
            config = PreTrainedConfig.from_pretrained(str(self.folder))
            config.device = self.device
            policy = get_policy_class(config.type).from_pretrained(str(self.folder), config=config)
            override = {"device_processor": {"device": self.device}}
            self.preprocessor, self.postprocessor = make_pre_post_processors(
                policy.config, pretrained_path=str(self.folder), preprocessor_overrides=override,
                postprocessor_overrides=override)
        except Exception as e:
            raise PolicyError(f"LeRobot could not load {self.folder}: {type(e).__name__}: {e}") from e
        self.policy = policy.to(self.device).eval()
        self.config = policy.config
        self.camera_map = dict(cameras or {})
        self.image_features = {k: tuple(f.shape) for k, f in self.config.image_features.items()}
        state = self.config.robot_state_feature
        self.state_dim = int(state.shape[0]) if state is not None else 0
        action = self.config.action_feature
        if action is None:
            raise PolicyError(f"{self.folder}: the policy config declares no action feature")
        self.n_obs_steps = int(getattr(self.config, "n_obs_steps", 1) or 1)
        self.n_action_steps = int(getattr(self.config, "n_action_steps", 0) or getattr(self.config, "chunk_size", 1))
        self._history: deque[dict[str, Any]] = deque(maxlen=self.n_obs_steps)
        self._sources: deque[dict[str, Any]] = deque(maxlen=self.n_obs_steps)  # the observations in the history
        self._lock = threading.Lock()
        self.last_timing_ms: dict[str, float] = {}
        self._meta = PolicyMetadata(
            name=name or self.folder.name, action_horizon=self.n_action_steps, action_dim=int(action.shape[0]),
            rate_hz=float(rate_hz or 30.0), cameras=[self.hirobot_camera(k) for k in self.image_features],
            obs_history=self.n_obs_steps, device=self.device, policy_type=str(self.config.type))

    # -- mapping -------------------------------------------------------------------------------
    def hirobot_camera(self, feature: str) -> str:
        cam = feature[len(IMAGE_PREFIX):] if feature.startswith(IMAGE_PREFIX) else feature
        return self.camera_map.get(cam, cam)

    def problems(self, obs: dict[str, Any], action_dim: int | None = None) -> list[str]:
        """Every way this observation (and a robot with `action_dim` action values) does not fit
        the input and output features the policy's config declares."""
        out: list[str] = []
        images = obs.get("images", {})
        for feature, shape in self.image_features.items():
            cam = self.hirobot_camera(feature)
            if cam not in images:
                have = ", ".join(sorted(images)) or "none"
                out.append(f"{feature} {list(shape)} needs the camera {cam!r} (the robot has: {have})")
            elif np.asarray(images[cam]).ndim != 3 or np.asarray(images[cam]).shape[2] != shape[0]:
                out.append(f"{feature} needs {shape[0]}-channel images, camera {cam!r} gives "
                           f"{list(np.asarray(images[cam]).shape)}")
        state = np.asarray(obs.get("state", ()), np.float32).reshape(-1)
        if self.state_dim and state.size != self.state_dim:
            out.append(f"{STATE_KEY} has {self.state_dim} values, the robot's state has {state.size}")
        if action_dim is not None and self._meta.action_dim != action_dim:
            out.append(f"action has {self._meta.action_dim} values, the robot takes {action_dim}")
        return out

    def _raw_observation(self, obs: dict[str, Any]) -> dict[str, np.ndarray]:
        """hirobot's observation in LeRobot's raw keys (HxWx3 uint8 frames, float32 state)."""
        problems = self.problems(obs)
        if problems:
            raise PolicyError(f"policy {self._meta.name!r} does not fit this robot: " + "; ".join(problems))
        raw: dict[str, np.ndarray] = {}
        for feature, (_, h, w) in self.image_features.items():
            raw[feature] = resize_image(np.asarray(obs["images"][self.hirobot_camera(feature)], np.uint8), h, w)
        if self.state_dim:
            raw[STATE_KEY] = np.array(obs["state"], np.float32).reshape(-1)
        return raw

    def _preprocess(self, obs: dict[str, Any]) -> dict[str, Any]:
        from lerobot.policies.utils import prepare_observation_for_inference

        raw = self._raw_observation(obs)
        with self._torch.inference_mode():
            batch = prepare_observation_for_inference(raw, self._torch.device(self.device),
                                                      task=str(obs.get("prompt", "")), robot_type="")
            return self.preprocessor(batch)

    # -- Policy ----------------------------------------------------------------------------------
    @property
    def metadata(self) -> PolicyMetadata:
        return self._meta

    def reset(self) -> None:
        with self._lock:
            self._history.clear()
            self._sources.clear()
            self.policy.reset()

    def observe(self, obs: dict[str, Any]) -> None:
        """One control tick's observation, for policies that look at a history of them."""
        if self.n_obs_steps <= 1:
            return
        batch = self._preprocess(obs)
        with self._lock:
            self._push(batch, obs)

    def _push(self, batch: dict[str, Any], obs: dict[str, Any]) -> None:
        while len(self._history) < self.n_obs_steps - 1:  # the first observation fills the history
            self._history.append(batch)
            self._sources.append(obs)
        self._history.append(batch)
        self._sources.append(obs)

    def _stacked(self) -> dict[str, Any]:
        """The history as one batch with a time axis (LeRobot's offline batch layout)."""
        torch = self._torch
        latest = self._history[-1]
        out = dict(latest)
        for key in list(self.image_features) + ([STATE_KEY] if self.state_dim else []):
            out[key] = torch.stack([b[key] for b in self._history], dim=1)
        return out

    def infer(self, obs: dict[str, Any]) -> dict[str, Any]:
        torch = self._torch
        t0 = time.perf_counter()
        with self._lock:
            seen = self.n_obs_steps > 1 and any(obs is o for o in self._sources)  # already fed by observe()
        batch = None if seen else self._preprocess(obs)
        t1 = time.perf_counter()
        with self._lock, torch.inference_mode():
            if self.n_obs_steps > 1:
                if batch is not None:
                    self._push(batch, obs)
                batch = self._stacked()
            assert batch is not None
            chunk = self.policy.predict_action_chunk(batch)
            if chunk.ndim == 2:
                chunk = chunk[:, None]
            chunk = chunk[:, : self.n_action_steps]
            t2 = time.perf_counter()
            rows = [self.postprocessor(chunk[:, i]) for i in range(chunk.shape[1])]
            actions = torch.stack([r.reshape(r.shape[0], -1)[0] for r in rows]).float().cpu().numpy()
        t3 = time.perf_counter()
        self.last_timing_ms = {"preprocess_ms": (t1 - t0) * 1e3, "model_ms": (t2 - t1) * 1e3,
                               "postprocess_ms": (t3 - t2) * 1e3}
        return {"actions": actions.astype(np.float64), "policy_timing": dict(self.last_timing_ms),
                "device": self.device}

    def close(self) -> None:
        self.policy = self.policy.to("cpu")
