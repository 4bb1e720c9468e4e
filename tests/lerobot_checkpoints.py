"""Tiny LeRobot policies made and saved by LeRobot itself, as a training run would leave them.

Random weights, and normalization statistics far from identity (a missing processor shows).
"""

from __future__ import annotations

import torch
from lerobot.configs.types import FeatureType, PolicyFeature
from lerobot.policies.factory import get_policy_class, make_pre_post_processors

STATE_DIM = 7
SIZE = 32


def _features(cameras=("front", "wrist"), dim=STATE_DIM):
    inputs = {"observation.state": PolicyFeature(type=FeatureType.STATE, shape=(dim,))}
    for cam in cameras:
        inputs[f"observation.images.{cam}"] = PolicyFeature(type=FeatureType.VISUAL, shape=(3, SIZE, SIZE))
    return inputs, {"action": PolicyFeature(type=FeatureType.ACTION, shape=(dim,))}


def _stats(inputs, dim):
    g = torch.Generator().manual_seed(1)
    out = {}
    for key, f in list(inputs.items()) + [("action", PolicyFeature(type=FeatureType.ACTION, shape=(dim,)))]:
        shape = (3, 1, 1) if f.type == FeatureType.VISUAL else f.shape
        mean = torch.rand(shape, generator=g) * 2 - 1
        std = torch.rand(shape, generator=g) * 0.5 + 0.3
        out[key] = {"mean": mean, "std": std, "min": mean - 2 * std, "max": mean + 2 * std}
    return out


def save_act(folder, cameras=("front", "wrist"), dim=STATE_DIM):
    from lerobot.policies.act.configuration_act import ACTConfig

    inputs, outputs = _features(cameras, dim)
    cfg = ACTConfig(input_features=inputs, output_features=outputs, chunk_size=8, n_action_steps=8, dim_model=32,
                    n_heads=2, dim_feedforward=64, n_encoder_layers=1, n_decoder_layers=1, n_vae_encoder_layers=1,
                    latent_dim=8, pretrained_backbone_weights=None, device="cpu")
    return _save(folder, cfg, inputs, dim)


def save_diffusion(folder):
    from lerobot.policies.diffusion.configuration_diffusion import DiffusionConfig

    inputs, outputs = _features(("front",), STATE_DIM)
    cfg = DiffusionConfig(input_features=inputs, output_features=outputs, n_obs_steps=2, horizon=8, n_action_steps=4,
                          down_dims=(16, 32), kernel_size=3, n_groups=4, diffusion_step_embed_dim=16,
                          spatial_softmax_num_keypoints=8, crop_shape=None, pretrained_backbone_weights=None,
                          use_group_norm=True, num_train_timesteps=10, num_inference_steps=3, device="cpu")
    return _save(folder, cfg, inputs, STATE_DIM)


def _save(folder, cfg, inputs, dim):
    torch.manual_seed(0)
    policy = get_policy_class(cfg.type)(cfg)
    pre, post = make_pre_post_processors(cfg, dataset_stats=_stats(inputs, dim))
    for thing in (policy, pre, post):
        thing.save_pretrained(str(folder))
    return folder
