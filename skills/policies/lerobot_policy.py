"""LeRobot-format checkpoint folders (config.json + model.safetensors) as hirobot policies.

A folder whose config says `"type": "hirobot_cnn"` is loaded here with torch and safetensors
alone. Any other type (act, diffusion, smolvla, pi0 ...) is handed to LeRobot itself when it
is installed (`pip install lerobot`): its policy class loads the folder and its
`predict_action_chunk` gives the chunk. Without LeRobot such a folder is refused with a
message saying so.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import numpy as np

from skills.policies.base import Policy, PolicyError, PolicyMetadata

CONFIG = "config.json"
WEIGHTS = "model.safetensors"


def save_checkpoint(net: Any, folder: str | Path) -> Path:
    """Write a trained `ChunkPolicyNet` as config.json + model.safetensors."""
    from safetensors.torch import save_file

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / CONFIG).write_text(json.dumps(net.config, indent=2))
    save_file({k: v.detach().contiguous() for k, v in net.state_dict().items()}, str(folder / WEIGHTS))
    return folder


def load_checkpoint(folder: str | Path) -> Policy:
    folder = Path(folder)
    try:
        config = json.loads((folder / CONFIG).read_text())
    except FileNotFoundError:
        raise PolicyError(f"{folder} is not a checkpoint: it has no {CONFIG}") from None
    kind = config.get("type")
    if kind == "hirobot_cnn":
        return LearnedChunkPolicy.load(folder, config)
    return _lerobot_policy(folder, config)


class LearnedChunkPolicy(Policy):
    """The `hirobot_cnn` network behind the Policy interface."""

    def __init__(self, net: Any, name: str = "learned") -> None:
        import torch

        # One thread: answers come faster on a busy machine than with several threads spinning
        # against the control loop and the renderer.
        torch.set_num_threads(1)
        self.net = net.eval()
        self._torch = torch
        self._lock = threading.Lock()
        cfg = net.config
        self._meta = PolicyMetadata(name=name, action_horizon=int(cfg["chunk_size"]), action_dim=net.state_dim,
                                    rate_hz=float(cfg.get("fps", 20.0)), cameras=list(net.cameras),
                                    image_size=int(cfg["image_size"]))

    @classmethod
    def load(cls, folder: Path, config: dict[str, Any]) -> "LearnedChunkPolicy":
        from safetensors.torch import load_file

        from skills.policies.model import ChunkPolicyNet

        net = ChunkPolicyNet(config)
        try:
            state = load_file(str(folder / WEIGHTS))
        except FileNotFoundError:
            raise PolicyError(f"{folder} has no {WEIGHTS}") from None
        missing, unexpected = net.load_state_dict(state, strict=False)
        if missing or unexpected:
            raise PolicyError(f"{folder / WEIGHTS} does not match its config: missing {missing}, unexpected {unexpected}")
        return cls(net, name=folder.name)

    @property
    def metadata(self) -> PolicyMetadata:
        return self._meta

    def infer(self, obs: dict[str, Any]) -> dict[str, Any]:
        from skills.recording.video import resize

        torch = self._torch
        size = self._meta.image_size
        images = obs.get("images", {})
        missing = [c for c in self.net.cameras if c not in images]
        if missing:
            raise PolicyError(f"policy {self._meta.name!r} needs the {', '.join(missing)} camera image(s)")
        imgs = {c: torch.from_numpy(resize(np.asarray(images[c]), size).astype(np.float32) / 255.0)
                .permute(2, 0, 1)[None] for c in self.net.cameras}
        state = torch.from_numpy(np.array(obs["state"], np.float32).reshape(1, -1))  # a copy: wire arrays are read-only
        bow = self.net.bag_of_words([str(obs.get("prompt", ""))])
        with self._lock, torch.inference_mode():
            chunk = self.net.to_actions(self.net(imgs, state, bow), state)[0]
        return {"actions": chunk.numpy().astype(np.float64)}


class _LeRobotAdapter(Policy):
    """A policy class of an installed LeRobot, fed hirobot observations in LeRobot's batch keys."""

    def __init__(self, policy: Any, config: dict[str, Any], name: str) -> None:
        import torch

        self.policy, self._torch = policy, torch
        out = config.get("output_features", {}).get("action", {}).get("shape", [7])
        cams = [k.split(".")[-1] for k, f in config.get("input_features", {}).items() if f.get("type") == "VISUAL"]
        self._meta = PolicyMetadata(name=name, action_horizon=int(config.get("chunk_size", config.get("n_action_steps", 1))),
                                    action_dim=int(out[0]), cameras=cams)

    @property
    def metadata(self) -> PolicyMetadata:
        return self._meta

    def reset(self) -> None:
        self.policy.reset()

    def infer(self, obs: dict[str, Any]) -> dict[str, Any]:
        torch = self._torch
        batch: dict[str, Any] = {"observation.state": torch.from_numpy(np.asarray(obs["state"], np.float32))[None],
                                 "task": [str(obs.get("prompt", ""))]}
        for cam, img in obs.get("images", {}).items():
            batch[f"observation.images.{cam}"] = torch.from_numpy(np.asarray(img, np.float32) / 255.0).permute(2, 0, 1)[None]
        with torch.inference_mode():
            chunk = self.policy.predict_action_chunk(batch)
        return {"actions": chunk[0].cpu().numpy().astype(np.float64)}


def _lerobot_policy(folder: Path, config: dict[str, Any]) -> Policy:
    kind = config.get("type")
    try:
        from lerobot.policies.factory import get_policy_class  # type: ignore[import-not-found]
    except ImportError:
        raise PolicyError(f"{folder} holds a LeRobot {kind!r} policy; loading it needs LeRobot "
                          "(pip install lerobot), which is not installed") from None
    try:
        policy = get_policy_class(kind).from_pretrained(str(folder))
    except Exception as e:
        raise PolicyError(f"LeRobot could not load {folder}: {type(e).__name__}: {e}") from e
    return _LeRobotAdapter(policy.eval(), config, folder.name)
