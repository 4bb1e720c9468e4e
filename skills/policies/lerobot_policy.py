"""LeRobot-format checkpoint folders (config.json + model.safetensors) as hirobot policies.

A folder whose config says `"type": "hirobot_cnn"` is loaded here with torch and safetensors
alone. Any other type (act, diffusion, smolvla, pi0 ...) is loaded by LeRobot itself, with its
processors (`lerobot_checkpoint.LeRobotPolicy`); without LeRobot such a folder is refused with
a message saying how to install it.
"""

from __future__ import annotations

import json
import threading
import time
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


def load_checkpoint(folder: str | Path, device: str | None = None, **kw: Any) -> Policy:
    """A checkpoint folder as a Policy on `device` (None or "auto": CUDA when present). `kw`
    (cameras, rate_hz, name) go to LeRobot policies."""
    folder = Path(folder)
    try:
        config = json.loads((folder / CONFIG).read_text())
    except FileNotFoundError:
        raise PolicyError(f"{folder} is not a checkpoint: it has no {CONFIG}") from None
    kind = config.get("type")
    if kind == "hirobot_cnn":
        return LearnedChunkPolicy.load(folder, config, device=device, name=kw.get("name"))
    return _lerobot_policy(folder, config, device, **kw)


class LearnedChunkPolicy(Policy):
    """The `hirobot_cnn` network behind the Policy interface."""

    def __init__(self, net: Any, name: str = "learned", device: str | None = None) -> None:
        import torch

        from skills.policies.devices import pick_device

        try:
            self.device = pick_device(device)
        except ValueError as e:
            raise PolicyError(str(e)) from None
        if self.device == "cpu":
            # One thread: answers come faster on a busy machine than with several threads
            # spinning against the control loop and the renderer.
            torch.set_num_threads(1)
        self.net = net.to(self.device).eval()
        self._torch = torch
        self._lock = threading.Lock()
        cfg = net.config
        self._meta = PolicyMetadata(name=name, action_horizon=int(cfg["chunk_size"]), action_dim=net.state_dim,
                                    rate_hz=float(cfg.get("fps", 20.0)), cameras=list(net.cameras),
                                    image_size=int(cfg["image_size"]), device=self.device)

    @classmethod
    def load(cls, folder: Path, config: dict[str, Any], device: str | None = None,
             name: str | None = None) -> "LearnedChunkPolicy":
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
        return cls(net, name=name or folder.name, device=device)

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
        t0 = time.perf_counter()
        dev = self.device
        imgs = {c: torch.from_numpy(resize(np.asarray(images[c]), size).astype(np.float32) / 255.0)
                .permute(2, 0, 1)[None].to(dev) for c in self.net.cameras}
        state = torch.from_numpy(np.array(obs["state"], np.float32).reshape(1, -1)).to(dev)  # a copy: wire arrays are read-only
        bow = self.net.bag_of_words([str(obs.get("prompt", ""))]).to(dev)
        with self._lock, torch.inference_mode():
            chunk = self.net.to_actions(self.net(imgs, state, bow), state)[0].cpu()
        ms = (time.perf_counter() - t0) * 1e3
        return {"actions": chunk.numpy().astype(np.float64), "policy_timing": {"infer_ms": ms}, "device": dev}


def _lerobot_policy(folder: Path, config: dict[str, Any], device: str | None, **kw: Any) -> Policy:
    from skills.policies.lerobot_checkpoint import LeRobotPolicy, lerobot_available

    if not lerobot_available():
        raise PolicyError(f"{folder} holds a LeRobot {config.get('type')!r} policy; loading it needs LeRobot "
                          "(Python 3.12+: pip install \"hirobot[lerobot]\"), which is not installed")
    return LeRobotPolicy(folder, device=device, **kw)
