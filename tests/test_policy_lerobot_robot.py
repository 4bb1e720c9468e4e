"""A LeRobot `Robot` driven by hirobot: the adapter, a learned policy skill, and `hirobot do`.

The robot is a LeRobot `Robot` subclass made for the tests (tests/lerobot_fake_arm: an
SO-101-shaped arm without hardware), found and built by LeRobot's own factory from its
registered type name, as `--robot so101_follower` builds the real one.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("lerobot", reason="runs in .venv-lerobot (make test builds it)")
import torch
from lerobot.common.control_utils import predict_action
from lerobot.configs.policies import PreTrainedConfig
from lerobot.policies.factory import get_policy_class, make_pre_post_processors
from typer.testing import CliRunner

from skills.api import Action
from skills.builtin.args import PlaceArgs
from skills.builtin.place import PlaceSkill
from skills.executor import Executor, LockstepClock
from skills.policies.args import PolicyArgs
from skills.policies.catalog import PolicyCatalog, PolicyEntry
from skills.policies.skill import PolicySkill
from skills.robots.lerobot_robot import make_lerobot_robot
from tests.lerobot_checkpoints import save_act
from tests.lerobot_fake_arm import MOTORS, FakeArm

pytestmark = pytest.mark.lerobot


@pytest.fixture
def arm(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_LEROBOT_CALIBRATION", str(tmp_path / "calibration"))
    robot = make_lerobot_robot("hirobot_fake_arm", "/dev/ttyFAKE", robot_id="test")
    yield robot
    robot.close()


def test_the_adapter_speaks_hirobot_units(arm):
    fake = arm.robot
    assert isinstance(fake, FakeArm) and fake.is_connected and fake.config.port == "/dev/ttyFAKE"
    assert arm.joint_names == MOTORS[:-1] and arm.cameras == ["front", "wrist"]
    obs = arm.observe()
    np.testing.assert_allclose(obs.joints, np.deg2rad([0.0, -30.0, 45.0, 0.0, 0.0]))
    assert obs.gripper == pytest.approx(0.1) and obs.images["front"].shape == (32, 32, 3) and obs.objects == {}
    arm.act(Action(joints=np.deg2rad([10.0, -20.0, 30.0, 5.0, -5.0]), gripper=0.75))
    assert fake.sent[-1] == pytest.approx({"shoulder_pan.pos": 10.0, "shoulder_lift.pos": -20.0, "elbow_flex.pos": 30.0,
                                           "wrist_flex.pos": 5.0, "wrist_roll.pos": -5.0, "gripper.pos": 75.0})
    # learned policies see what LeRobot records for this arm: degrees and the gripper's 0..100
    np.testing.assert_allclose(arm.policy_state(arm.observe()), [10.0, -20.0, 30.0, 5.0, -5.0, 75.0], atol=1e-9)


def test_a_learned_policy_skill_drives_the_arm_as_lerobot_would(arm, tmp_path):
    folder = save_act(tmp_path / "act", dim=len(MOTORS))
    catalog = PolicyCatalog({"act-arm": PolicyEntry(checkpoint=folder, device="cpu")})
    ex = Executor(arm, clock=LockstepClock())
    fake = arm.robot
    frames_before = fake.frames
    outcome, handle = ex.run(PolicySkill.configured(catalog)(), PolicyArgs(policy="act-arm", max_seconds=1.0),
                             instruction="pick up the cube", extras={"policy_blocking": True, "policy_blend_ticks": 0})
    assert handle.stats.ticks >= 20 and len(fake.sent) >= 20
    assert outcome.detail["calls"] >= 2

    # the first command is LeRobot's own action for the observation the step started from
    twin = FakeArm(fake.config)
    twin.frames = frames_before  # the executor's first observation is the next frame
    first = twin.get_observation()
    raw = {"observation.images.front": first["front"], "observation.images.wrist": first["wrist"],
           "observation.state": np.array([first[f"{m}.pos"] for m in MOTORS], np.float32)}
    cfg = PreTrainedConfig.from_pretrained(str(folder))
    policy = get_policy_class(cfg.type).from_pretrained(str(folder)).eval()
    pre, post = make_pre_post_processors(policy.config, pretrained_path=str(folder))
    expected = predict_action(raw, policy, torch.device("cpu"), pre, post, use_amp=False, task="pick up the cube")
    sent = np.array([fake.sent[0][f"{m}.pos"] for m in MOTORS])
    np.testing.assert_allclose(sent, expected.squeeze(0).numpy(), atol=1e-4)


def test_a_success_predicate_the_arm_cannot_perceive_is_reported_unchecked(arm, tmp_path):
    folder = save_act(tmp_path / "act", dim=len(MOTORS))
    catalog = PolicyCatalog({"act-arm": PolicyEntry(checkpoint=folder, device="cpu")})
    args = PolicyArgs(policy="act-arm", object="cube", relation="in", target="bowl", max_seconds=0.5)
    outcome, _ = Executor(arm, clock=LockstepClock()).run(PolicySkill.configured(catalog)(), args,
                                                          instruction="put the cube in the bowl",
                                                          extras={"policy_blocking": True})
    assert outcome.detail["checked"] is False and len(arm.robot.sent) >= 10
    assert "in(cube, bowl) is not checked: this robot reports no object poses" in outcome.reason


def test_a_policy_that_does_not_fit_the_arm_is_refused_before_it_moves(arm, tmp_path):
    folder = save_act(tmp_path / "act7")  # 7 state values, the arm has 6
    catalog = PolicyCatalog({"act-7": PolicyEntry(checkpoint=folder, device="cpu")})
    outcome, _ = Executor(arm, clock=LockstepClock()).run(PolicySkill.configured(catalog)(),
                                                          PolicyArgs(policy="act-7"), instruction="x")
    assert outcome.status.value == "failure"
    assert "observation.state has 7 values, the robot's state has 6" in outcome.reason
    assert "action has 7 values, the robot takes 6" in outcome.reason
    assert [a for a in arm.robot.sent if a != arm.robot.sent[0]] == []  # only holding still, if anything


def test_a_skill_that_needs_object_poses_says_the_arm_lacks_perception(arm):
    outcome, _ = Executor(arm, clock=LockstepClock()).run(PlaceSkill(), PlaceArgs(object="red cup", relation="in", target="bin"),
                                                          instruction="put the red cup in the bin")
    assert outcome.status.value == "failure" and "no object perception" in outcome.reason


def _planner_stub(policy_name):
    from tests.openai_stub_server import start_stub_server

    turn = {"say": "picking it up", "steps": [{"skill": "policy", "args": {"policy": policy_name, "max_seconds": 1.0},
                                                "instruction": "pick up the cube"}]}
    return start_stub_server(lambda request: json.dumps(turn))


def _do(tmp_path, monkeypatch, policy_name, *extra):
    from agent.cli import app

    folder = save_act(tmp_path / "act", dim=len(MOTORS))
    config = tmp_path / "config.toml"
    config.write_text(f'[policies.act-arm]\ncheckpoint = "{folder}"\ndevice = "cpu"\n\n[robot]\nid = "test"\n')
    monkeypatch.setenv("HIROBOT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HF_LEROBOT_CALIBRATION", str(tmp_path / "calibration"))
    url, stop = _planner_stub(policy_name)
    FakeArm.made.clear()
    try:
        result = CliRunner().invoke(app, ["do", "pick up the cube", "--robot", "hirobot_fake_arm", "--robot-port",
                                          "/dev/ttyFAKE", "--planner-url", url, "--planner-model", "stub",
                                          "--config", str(config), "--no-input", *extra])
    finally:
        stop()
    return result, FakeArm.made[-1]


def test_hirobot_do_runs_a_configured_policy_on_the_arm(tmp_path, monkeypatch):
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    result, fake = _do(tmp_path, monkeypatch, "act-arm", "--record-dataset", str(tmp_path / "session"))
    assert fake.config.port == "/dev/ttyFAKE" and not fake.is_connected  # connected, then let go at the end
    assert len(fake.sent) >= 10, result.output  # the policy moved the arm (a second of wall-clock ticks)
    assert "act-arm" in result.output
    # the session on the arm, recorded by LeRobot's own writer, loads in LeRobot
    ds = LeRobotDataset("local/session", root=tmp_path / "session")
    assert ds.num_episodes == 1 and len(ds) >= 10 and ds[0]["task"] == "pick up the cube"
    # in the arm's own units, as LeRobot records it: the first state is the arm's start pose in degrees
    np.testing.assert_allclose(ds[0]["observation.state"].numpy(), [0.0, -30.0, 45.0, 0.0, 0.0, 10.0], atol=1e-4)
    np.testing.assert_allclose(ds[0]["action"].numpy(), [fake.sent[0][f"{m}.pos"] for m in MOTORS], atol=1e-3)


def test_hirobot_do_refuses_a_policy_the_configuration_does_not_name(tmp_path, monkeypatch):
    result, fake = _do(tmp_path, monkeypatch, "ws://198.51.100.7:8000")
    assert fake.sent == []  # nothing reached the arm
    (log,) = (tmp_path / "home" / "sessions").glob("*/events.jsonl")
    # the planner's step was rejected with the names there are (and the planner asked again)
    assert "argument policy: Input should be 'act-arm' or 'learned-place'" in log.read_text()
    assert "0 step(s) done" in result.output


def test_a_real_so101_without_its_hardware_is_one_clear_error(tmp_path, monkeypatch):
    """LeRobot's own so101_follower, built by its factory, on a port with nothing behind it."""
    from agent.cli import app

    monkeypatch.setenv("HIROBOT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HF_LEROBOT_CALIBRATION", str(tmp_path / "calibration"))
    result = CliRunner().invoke(app, ["do", "pick up the cube", "--robot", "so101_follower",
                                      "--robot-port", str(tmp_path / "ttyACM0")])
    assert result.exit_code == 2
    assert "could not start the so101_follower robot" in result.output and "Traceback" not in result.output
    unknown = CliRunner().invoke(app, ["do", "x", "--robot", "so102_follower"])
    assert unknown.exit_code == 2 and "so101_follower" in unknown.output  # the known types are listed
