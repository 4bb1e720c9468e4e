"""LeRobot checkpoints made by LeRobot give the same actions through hirobot as through LeRobot.

Each test builds a tiny policy with LeRobot's own config and policy classes (random weights),
normalization statistics that are far from identity (so a missing processor shows), and saves
it with `save_pretrained` as a training run would. LeRobot's own inference path
(`from_pretrained` + `make_pre_post_processors` + `predict_action`, what `lerobot-record`
runs every tick) is the reference; hirobot's `load_checkpoint` must match it within 1e-5 on
the same sequence of observations, for ACT (chunks) and Diffusion (observation history).
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("lerobot", reason="runs in .venv-lerobot (make test builds it)")
import torch
from lerobot.common.control_utils import predict_action
from lerobot.policies.factory import get_policy_class, make_pre_post_processors

from skills.policies.base import PolicyError
from skills.policies.lerobot_policy import load_checkpoint
from tests.lerobot_checkpoints import STATE_DIM, SIZE, save_act, save_diffusion

pytestmark = pytest.mark.lerobot

def observations(n, cameras=("front", "wrist"), seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        out.append({"images": {c: rng.integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8) for c in cameras},
                    "state": rng.normal(size=STATE_DIM).astype(np.float32), "prompt": "put the cube in the bowl"})
    return out


def lerobot_actions(folder, obs_seq, seed=0):
    """LeRobot's own loop: one `predict_action` per tick, as lerobot-record runs a policy."""
    from lerobot.configs.policies import PreTrainedConfig

    cfg = PreTrainedConfig.from_pretrained(str(folder))
    policy = get_policy_class(cfg.type).from_pretrained(str(folder)).eval()
    pre, post = make_pre_post_processors(policy.config, pretrained_path=str(folder))
    policy.reset()
    torch.manual_seed(seed)
    rows = []
    for obs in obs_seq:
        raw = {f"observation.images.{c}": img for c, img in obs["images"].items()}
        raw["observation.state"] = obs["state"]
        action = predict_action(raw, policy, torch.device("cpu"), pre, post, use_amp=False, task=obs["prompt"])
        rows.append(action.squeeze(0).numpy())
    return np.stack(rows)


def hirobot_actions(policy, obs_seq, seed=0):
    """hirobot's skill loop in lockstep: a chunk at tick 0, every tick observed, the next chunk
    asked for when the current one has been played."""
    policy.reset()
    torch.manual_seed(seed)
    rows, chunk = [], None
    for obs in obs_seq:
        if policy.metadata.obs_history > 1:
            policy.observe(obs)
        if chunk is None or len(chunk) == 0:
            chunk = list(policy.infer(obs)["actions"])
        rows.append(chunk.pop(0))
    return np.stack(rows)


def test_act_checkpoint_gives_lerobots_actions(tmp_path):
    folder = save_act(tmp_path / "act")
    seq = observations(16)  # two chunks of 8
    policy = load_checkpoint(folder, device="cpu")
    meta = policy.metadata
    assert (meta.action_horizon, meta.action_dim, meta.device) == (8, STATE_DIM, "cpu")
    assert sorted(meta.cameras) == ["front", "wrist"]
    ours, theirs = hirobot_actions(policy, seq), lerobot_actions(folder, seq)
    assert ours.shape == theirs.shape == (16, STATE_DIM)
    np.testing.assert_allclose(ours, theirs, atol=1e-5)
    # the processors matter: the raw network output is far from the unnormalized action
    raw = policy.policy.predict_action_chunk(policy._preprocess(seq[0]))[0, 0].numpy()
    assert np.max(np.abs(raw - theirs[0])) > 0.1


def test_diffusion_checkpoint_keeps_the_observation_history(tmp_path):
    folder = save_diffusion(tmp_path / "diffusion")
    seq = observations(12, cameras=("front",), seed=3)  # three chunks of 4, each from two observations
    policy = load_checkpoint(folder, device="cpu")
    assert policy.metadata.obs_history == 2 and policy.metadata.action_horizon == 4
    ours, theirs = hirobot_actions(policy, seq, seed=7), lerobot_actions(folder, seq, seed=7)
    np.testing.assert_allclose(ours, theirs, atol=1e-5)


def test_a_policy_that_does_not_fit_the_robot_is_refused_with_the_list(tmp_path):
    policy = load_checkpoint(save_act(tmp_path / "act", cameras=("laptop", "phone")), device="cpu")
    obs = observations(1)[0]
    problems = policy.problems({**obs, "state": obs["state"][:6]}, action_dim=6)
    text = "; ".join(problems)
    assert "observation.images.laptop" in text and "observation.images.phone" in text
    assert "front, wrist" in text  # what the robot has
    assert "observation.state has 7 values, the robot's state has 6" in text
    assert "action has 7 values, the robot takes 6" in text
    with pytest.raises(PolicyError, match="does not fit this robot"):
        policy.infer(obs)
    # a rename map from configuration makes it fit
    renamed = load_checkpoint(tmp_path / "act", device="cpu", cameras={"laptop": "front", "phone": "wrist"})
    assert renamed.problems(obs, action_dim=STATE_DIM) == []
    assert renamed.infer(obs)["actions"].shape == (8, STATE_DIM)


def test_frames_are_resized_to_the_declared_image_size(tmp_path):
    policy = load_checkpoint(save_act(tmp_path / "act"), device="cpu")
    obs = observations(1)[0]
    big = {**obs, "images": {c: np.repeat(np.repeat(img, 2, 0), 2, 1) for c, img in obs["images"].items()}}
    assert policy.problems(big, action_dim=STATE_DIM) == []
    assert policy.infer(big)["actions"].shape == (8, STATE_DIM)


def test_an_asked_for_gpu_that_is_absent_is_an_error_not_a_silent_cpu(tmp_path):
    folder = save_act(tmp_path / "act")
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(PolicyError, match="no CUDA GPU"):
        load_checkpoint(folder, device="cuda")
    assert load_checkpoint(folder).metadata.device == "cpu"  # auto: CUDA when present, else the CPU


def test_a_served_checkpoint_reports_its_device_and_timings(tmp_path):
    from skills.policies.registry import load_source
    from skills.policies.remote import RemotePolicy
    from skills.policies.serve import PolicyServer

    local = load_source(str(save_act(tmp_path / "act")), device="cpu")  # what `serve-policy FOLDER --device cpu` loads
    server = PolicyServer(local, port=0)
    port = server.start_in_thread()
    remote = RemotePolicy(f"ws://127.0.0.1:{port}")
    try:
        assert remote.metadata.device == "cpu" and remote.metadata.action_horizon == 8
        obs = observations(1)[0]
        out = remote.infer(obs)
        assert out["device"] == "cpu" and out["server_timing"]["infer_ms"] > 0
        assert set(out["policy_timing"]) == {"preprocess_ms", "model_ms", "postprocess_ms"}
        np.testing.assert_allclose(out["actions"], local.infer(obs)["actions"], atol=1e-6)
    finally:
        remote.close()
        server.stop()


def test_the_steps_instruction_reaches_the_policy_through_lerobots_tokenizer_step(tmp_path):
    """A language-conditioned checkpoint's saved preprocessor holds LeRobot's tokenizer step
    (SmolVLA's and pi0's do); hirobot's instruction becomes its language tokens. The tokenizer
    is a small word-level one saved to disk (no model hub here)."""
    pytest.importorskip("transformers")
    from lerobot.processor import PolicyProcessorPipeline, TokenizerProcessorStep
    from lerobot.utils.constants import OBS_LANGUAGE_TOKENS
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    words = ["[PAD]", "[UNK]", "put", "the", "cube", "in", "bowl", "pick", "up"]
    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="[PAD]", unk_token="[UNK]").save_pretrained(tmp_path / "tok")
    folder = save_act(tmp_path / "act")
    pre = PolicyProcessorPipeline.from_pretrained(str(folder), config_filename="policy_preprocessor.json")
    pre.steps.insert(1, TokenizerProcessorStep(tokenizer_name=str(tmp_path / "tok"), max_length=8))
    pre.save_pretrained(str(folder))

    policy = load_checkpoint(folder, device="cpu")
    obs = {**observations(1)[0], "prompt": "put the cube in the bowl"}
    tokens = policy._preprocess(obs)[OBS_LANGUAGE_TOKENS]
    assert tokens.tolist() == [[2, 3, 4, 5, 3, 6, 0, 0]]
    assert policy.infer(obs)["actions"].shape == (8, STATE_DIM)
