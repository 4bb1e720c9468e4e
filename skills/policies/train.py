"""Behaviour cloning of the chunking policy on a recorded LeRobot dataset, on the CPU.

Each frame of a successful episode is a sample: its images, state and task, and the next
`chunk_size` actions (the last one repeated past the episode's end). Loss: L1 on the
normalised chunk, as ACT trains. Images get a random shift of a few pixels, which matters
with a few dozen demonstrations.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np


@dataclass
class TrainReport:
    episodes: int
    frames: int
    steps: int
    seconds: float
    final_loss: float


def load_samples(dataset: str | Path, chunk_size: int, image_size: int, cameras: tuple[str, ...]):
    from skills.recording import read_dataset

    imgs: dict[str, list[np.ndarray]] = {c: [] for c in cameras}
    states, chunks, tasks, frame_idx = [], [], [], []
    n_eps = 0
    for ep in read_dataset(dataset, cameras=cameras, image_size=image_size, only_success=True):
        n = len(ep.state)
        idx = np.minimum(np.arange(n)[:, None] + np.arange(chunk_size)[None, :], n - 1)
        chunks.append(ep.action[idx])
        states.append(ep.state)
        for c in cameras:
            imgs[c].append(ep.images[c][:n])
        tasks += [ep.task] * n
        frame_idx.append(np.arange(n))
        n_eps += 1
    if not n_eps:
        raise ValueError(f"{dataset} has no successful episodes to learn from")
    return ({c: np.concatenate(v) for c, v in imgs.items()}, np.concatenate(states), np.concatenate(chunks),
            tasks, np.concatenate(frame_idx), n_eps)


def train(dataset: str | Path, out: str | Path, *, steps: int = 3000, batch: int = 64, lr: float = 1e-3,
          chunk_size: int = 16, image_size: int = 56, hidden: int = 256, seed: int = 0, threads: int = 1,
          early_frames: int = 25, early_weight: float = 5.0, state_noise: float = 0.05,
          vocabulary: list[str] | None = None, log: Callable[[str], None] | None = None) -> TrainReport:
    import torch
    from torch.nn import functional as F

    from skills.policies.demos import vocabulary as default_vocab
    from skills.policies.lerobot_policy import save_checkpoint
    from skills.policies.model import ChunkPolicyNet, action_targets, default_config

    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    rng = np.random.default_rng(seed)
    cameras = ("front", "wrist")
    images, states, chunks, tasks, frame_idx, n_eps = load_samples(dataset, chunk_size, image_size, cameras)
    # The choice of where to go is made in the first second, at the rest pose, where only the
    # cameras and the words tell episodes apart; later frames can be fitted from the state
    # alone. So the first frames are drawn more often, and the state input gets noise so the
    # network cannot lean on it alone.
    weights = np.where(frame_idx < early_frames, early_weight, 1.0)
    weights /= weights.sum()
    targets = action_targets(chunks, states)
    flat = targets.reshape(-1, targets.shape[-1])
    config = default_config(vocabulary or default_vocab(), chunk_size=chunk_size, image_size=image_size,
                            cameras=cameras, state_dim=states.shape[1], hidden=hidden)
    net = ChunkPolicyNet(config)
    net.set_stats(states.mean(0), np.maximum(states.std(0), 1e-2), flat.mean(0), np.maximum(flat.std(0), 1e-2))
    norm_t = torch.from_numpy((targets - flat.mean(0)) / np.maximum(flat.std(0), 1e-2)).float()
    st = torch.from_numpy(states).float()
    bow = net.bag_of_words(tasks)
    ims = {c: torch.from_numpy(images[c]) for c in cameras}  # uint8 [N, S, S, 3]
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, steps), eta_min=lr * 0.05)
    n = len(states)
    t0 = time.perf_counter()
    loss_avg = 0.0
    net.train()
    pad = 3
    for step in range(steps):
        idx = torch.from_numpy(rng.choice(n, batch, p=weights))
        batch_imgs = {}
        for c in cameras:
            x = ims[c][idx].permute(0, 3, 1, 2).float() / 255.0
            x = F.pad(x, (pad, pad, pad, pad), mode="replicate")
            dx, dy = rng.integers(0, 2 * pad + 1, 2)
            batch_imgs[c] = x[:, :, dy:dy + image_size, dx:dx + image_size]
        noisy = st[idx].clone()
        noisy[:, :-1] += state_noise * torch.randn_like(noisy[:, :-1])
        pred = net(batch_imgs, noisy, bow[idx])
        loss = F.l1_loss(pred, norm_t[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        lv = float(loss.detach())
        loss_avg = 0.98 * loss_avg + 0.02 * lv if step else lv
        if log and (step % 200 == 0 or step == steps - 1):
            log(f"step {step}/{steps} loss {loss_avg:.4f} ({time.perf_counter() - t0:.0f} s)")
    net.eval()
    save_checkpoint(net, out)
    return TrainReport(n_eps, n, steps, time.perf_counter() - t0, loss_avg)
