"""A small language-conditioned chunking policy that trains on a CPU in minutes.

    front, wrist images (56x56) --conv towers, FiLM-conditioned on the instruction--> spatial softmax keypoints
    instruction (bag of words over a fixed vocabulary) --MLP--> text features, FiLM scales and shifts
    state (joints + gripper, normalised) --MLP--> state features
    all of it --MLP--> a chunk of T actions: joint offsets from the current joints, and the gripper

Why these choices: the task is "which object, where": FiLM lets the words choose which
features the camera towers keep, and spatial-softmax keypoints are where things are, which is
what the arm needs. Joint offsets rather than absolute targets make the chunk independent of
where the arm starts. The checkpoint layout is LeRobot's (config.json + model.safetensors, with
the normalisation statistics as buffers of the model).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

POLICY_TYPE = "hirobot_cnn"
_WORD = re.compile(r"[a-z]+")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def default_config(vocabulary: list[str], *, chunk_size: int = 16, n_action_steps: int = 12, image_size: int = 56,
                   cameras: tuple[str, ...] = ("front", "wrist"), state_dim: int = 7, fps: float = 20.0,
                   hidden: int = 256) -> dict[str, Any]:
    """A LeRobot-style config.json for this policy."""
    feats: dict[str, Any] = {f"observation.images.{c}": {"type": "VISUAL", "shape": [3, image_size, image_size]}
                             for c in cameras}
    feats["observation.state"] = {"type": "STATE", "shape": [state_dim]}
    return {
        "type": POLICY_TYPE,
        "n_obs_steps": 1,
        "chunk_size": chunk_size,
        "n_action_steps": n_action_steps,
        "input_features": feats,
        "output_features": {"action": {"type": "ACTION", "shape": [state_dim]}},
        "normalization_mapping": {"VISUAL": "IDENTITY", "STATE": "MEAN_STD", "ACTION": "MEAN_STD"},
        "action_mode": "joint_offsets",
        "vocabulary": sorted(set(vocabulary)),
        "image_size": image_size,
        "hidden": hidden,
        "fps": fps,
    }


class SpatialSoftmax(nn.Module):
    """Expected (x, y) of each channel's activation: one keypoint per channel."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        p = F.softmax(x.reshape(b, c, h * w), dim=-1).reshape(b, c, h, w)
        ys = torch.linspace(-1, 1, h, device=x.device)
        xs = torch.linspace(-1, 1, w, device=x.device)
        return torch.cat([(p.sum(2) * xs).sum(-1), (p.sum(3) * ys).sum(-1)], dim=1)


class Tower(nn.Module):
    def __init__(self, ch: int = 32) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(3, 16, 5, 2, 2)
        self.c2 = nn.Conv2d(16, 32, 3, 2, 1)
        self.c3 = nn.Conv2d(32, ch, 3, 1, 1)
        self.c4 = nn.Conv2d(ch, ch, 3, 1, 1)
        self.keypoints = SpatialSoftmax()
        self.ch = ch

    def forward(self, img: torch.Tensor, film: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.c1(img))
        x = F.relu(self.c2(x))
        x = self.c3(x)
        gamma, beta = film[:, :self.ch, None, None], film[:, self.ch:, None, None]
        x = F.relu(x * (1 + gamma) + beta)
        return self.keypoints(self.c4(x))


class ChunkPolicyNet(nn.Module):
    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__()
        self.config = config
        self.cameras = [k.split(".")[-1] for k, f in config["input_features"].items() if f["type"] == "VISUAL"]
        self.state_dim = int(config["input_features"]["observation.state"]["shape"][0])
        self.T = int(config["chunk_size"])
        self.vocab = {w: i for i, w in enumerate(config["vocabulary"])}
        h = int(config["hidden"])
        ch = int(config.get("channels", 32))
        self.towers = nn.ModuleDict({c: Tower(ch) for c in self.cameras})
        self.text = nn.Sequential(nn.Linear(len(self.vocab), 64), nn.ReLU())
        self.film = nn.Linear(64, 2 * ch * len(self.cameras))
        self.state = nn.Sequential(nn.Linear(self.state_dim, 64), nn.ReLU())
        self.head = nn.Sequential(nn.Linear(2 * ch * len(self.cameras) + 128, h), nn.ReLU(),
                                  nn.Linear(h, h), nn.ReLU(), nn.Linear(h, self.T * self.state_dim))
        # Normalisation statistics, saved with the weights (LeRobot's buffer names).
        for name in ("normalize_inputs.buffer_observation_state", "unnormalize_outputs.buffer_action"):
            prefix = name.replace(".", "_")
            self.register_buffer(f"{prefix}_mean", torch.zeros(self.state_dim))
            self.register_buffer(f"{prefix}_std", torch.ones(self.state_dim))
        nn.init.zeros_(self.film.weight)
        nn.init.zeros_(self.film.bias)

    # -- statistics ----------------------------------------------------------------------------
    def set_stats(self, state_mean, state_std, action_mean, action_std) -> None:
        for attr, v in (("normalize_inputs_buffer_observation_state_mean", state_mean),
                        ("normalize_inputs_buffer_observation_state_std", state_std),
                        ("unnormalize_outputs_buffer_action_mean", action_mean),
                        ("unnormalize_outputs_buffer_action_std", action_std)):
            getattr(self, attr).copy_(torch.as_tensor(np.asarray(v), dtype=torch.float32))

    def bag_of_words(self, prompts: list[str]) -> torch.Tensor:
        out = torch.zeros(len(prompts), len(self.vocab))
        for i, p in enumerate(prompts):
            for w in words(p):
                j = self.vocab.get(w)
                if j is not None:
                    out[i, j] = 1.0
        return out

    # -- forward -------------------------------------------------------------------------------
    def forward(self, images: dict[str, torch.Tensor], state: torch.Tensor, bow: torch.Tensor) -> torch.Tensor:
        """Normalised chunk [B, T, D] from images [B, 3, S, S] in 0..1, raw state [B, D] and words [B, V]."""
        t = self.text(bow)
        film = self.film(t).chunk(len(self.cameras), dim=1)
        s = (state - self.normalize_inputs_buffer_observation_state_mean) / self.normalize_inputs_buffer_observation_state_std
        feats = [self.towers[c](images[c], f) for c, f in zip(self.cameras, film)]
        out = self.head(torch.cat(feats + [self.state(s), t], dim=1))
        return out.reshape(-1, self.T, self.state_dim)

    def to_actions(self, norm_chunk: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
        """Absolute targets: joint offsets added to the current joints, gripper as predicted."""
        a = norm_chunk * self.unnormalize_outputs_buffer_action_std + self.unnormalize_outputs_buffer_action_mean
        joints = a[..., :-1] + state[:, None, :-1]
        return torch.cat([joints, a[..., -1:].clamp(0.0, 1.0)], dim=-1)


def action_targets(actions: np.ndarray, state: np.ndarray) -> np.ndarray:
    """Training targets from absolute actions [.., T, D] and the state [.., D] they start from."""
    out = np.array(actions, np.float32, copy=True)
    out[..., :-1] -= state[..., None, :-1]
    return out
