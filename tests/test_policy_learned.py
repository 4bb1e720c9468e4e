"""Record scripted demonstrations in the simulator, train the learned policy a few steps, save it
as a LeRobot-format checkpoint, load it as a skill and run it in the sim loop (tiny sizes)."""

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("pyarrow")
pytest.importorskip("safetensors")

from skills.executor import Executor, LockstepClock  # noqa: E402
from skills.policies.args import PolicyArgs  # noqa: E402
from skills.policies.base import PolicyError  # noqa: E402
from skills.policies.demos import record_demos, task_for  # noqa: E402
from skills.policies.lerobot_policy import load_checkpoint  # noqa: E402
from skills.policies.catalog import PolicyCatalog, PolicyEntry  # noqa: E402
from skills.policies.registry import forget, resolve_policy  # noqa: E402
from skills.policies.skill import PolicySkill  # noqa: E402
from skills.policies.train import train  # noqa: E402


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    d = tmp_path_factory.mktemp("learned")
    ok, n = record_demos(d / "demos", 2)
    assert ok == n == 2
    rep = train(d / "demos", d / "ckpt", steps=3, batch=8, hidden=32, chunk_size=8)
    assert rep.episodes == 2 and rep.frames > 200 and np.isfinite(rep.final_loss)
    return d / "ckpt"


def test_checkpoint_is_a_lerobot_style_folder(checkpoint):
    cfg = json.loads((checkpoint / "config.json").read_text())
    assert cfg["type"] == "hirobot_cnn" and cfg["chunk_size"] == 8
    assert cfg["input_features"]["observation.images.front"]["type"] == "VISUAL"
    from safetensors.torch import load_file

    weights = load_file(str(checkpoint / "model.safetensors"))
    assert "normalize_inputs_buffer_observation_state_mean" in weights
    assert float(weights["unnormalize_outputs_buffer_action_std"].min()) > 0


def test_loaded_policy_answers_chunks(checkpoint):
    p = load_checkpoint(checkpoint)
    obs = {"images": {"front": np.zeros((224, 224, 3), np.uint8), "wrist": np.zeros((224, 224, 3), np.uint8)},
           "state": np.zeros(7, np.float32), "prompt": "put the red cup in the bin"}
    out = p.infer(obs)
    assert out["actions"].shape == (8, 7) and np.all(np.isfinite(out["actions"]))
    with pytest.raises(PolicyError, match="wrist"):
        p.infer({**obs, "images": {"front": obs["images"]["front"]}})


def test_checkpoint_runs_as_a_skill_in_the_sim_loop(checkpoint):
    from sim.robot import SimRobot

    forget()
    task = task_for(0)
    robot = SimRobot(task.scene)
    ex = Executor(robot, clock=LockstepClock(), render=False)  # the skill renders what its policy needs
    catalog = PolicyCatalog({"fresh": PolicyEntry(checkpoint=checkpoint)}, device="cpu")
    args = PolicyArgs(object=task.object, target=task.target, policy="fresh", max_seconds=1.0)
    outcome, handle = ex.run(PolicySkill.configured(catalog)(), args, instruction=task.instruction,
                             extras={"policy_blocking": True})
    assert "within 1 s" in outcome.reason  # three training steps do not make a skill, but it runs
    assert outcome.detail["calls"] >= 3 and outcome.detail["idle_ticks"] == 0
    assert handle.stats.ticks >= 20
    assert catalog.load("fresh") is catalog.load("fresh")  # loaded once
    robot.close()


def test_unknown_policy_fails_the_step_with_the_reason():
    from tests.kinematic_arm import KinematicArm

    ex = Executor(KinematicArm(), clock=LockstepClock())
    outcome, _ = ex.run(PolicySkill(), PolicyArgs(policy="no-such-policy"), instruction="x")
    assert outcome.status.value == "failure" and "unknown policy 'no-such-policy'" in outcome.reason
    assert "learned-place" in outcome.reason  # the names there are


def test_shipped_weights_put_a_cup_in_the_bin():
    """The learned-place weights that ship with hirobot, on held-out scenes (9 of 10 in the benchmark)."""
    from skills.policies.evaluate import run_policy
    from skills.policies.registry import builtin_checkpoint

    if not (builtin_checkpoint("learned-place") / "model.safetensors").exists():
        pytest.skip("no shipped weights")
    policy = resolve_policy("learned-place")
    results = [run_policy(seed, policy, max_seconds=15.0) for seed in (0, 1)]
    assert any(r.ok for r in results), [r.reason for r in results]
