"""openpi's own client (openpi-client 0.1.2) and hirobot, both ways, over the real wire.

openpi's servers send their config's metadata, usually `{}`; a DROID policy (pi05_droid)
reads observation/exterior_image_1_left, observation/wrist_image_left (224x224x3 uint8),
observation/joint_position (7), observation/gripper_position (1) and prompt, and answers
chunks of shape (15, 8). The server here is hirobot's PolicyServer sending exactly `{}` in
front of a policy that insists on those keys, which is how such a server behaves on the wire.
"""

from __future__ import annotations

import numpy as np
import pytest
from openpi_client import websocket_client_policy

from skills.api import Observation
from skills.executor import Executor, LockstepClock
from skills.policies.args import PolicyArgs
from skills.policies.base import Policy, PolicyError, PolicyMetadata
from skills.policies.catalog import PolicyCatalog, PolicyEntry
from skills.policies.keymaps import PRESETS, keymap
from skills.policies.remote import RemotePolicy
from skills.policies.serve import PolicyServer
from skills.policies.skill import PolicySkill
from tests.kinematic_arm import KinematicArm
from tests.policy_doubles import RampPolicy

DROID_KEYS = {"observation/exterior_image_1_left": (224, 224, 3), "observation/wrist_image_left": (224, 224, 3),
              "observation/joint_position": (7,), "observation/gripper_position": (1,)}


class DroidShaped(Policy):
    """Answers (15, 8) chunks, and only to an observation laid out as DROID's example."""

    def __init__(self) -> None:
        self.seen: list[dict] = []

    @property
    def metadata(self) -> PolicyMetadata:
        return PolicyMetadata(name="droid", action_horizon=15, action_dim=8)

    def infer(self, obs):
        self.seen.append(obs)
        assert set(obs) == set(DROID_KEYS) | {"prompt"}, sorted(obs)
        for key, shape in DROID_KEYS.items():
            assert np.asarray(obs[key]).shape == shape, (key, np.asarray(obs[key]).shape)
        assert np.asarray(obs["observation/exterior_image_1_left"]).dtype == np.uint8
        joints = np.asarray(obs["observation/joint_position"], float)
        rows = np.concatenate([joints, np.asarray(obs["observation/gripper_position"], float)])
        return {"actions": np.tile(rows, (15, 1)) + np.arange(15)[:, None] * 0.01}


@pytest.fixture
def serve():
    servers = []

    def start(policy, **kw):
        s = PolicyServer(policy, port=0, **kw)
        s.start_in_thread()
        servers.append(s)
        return s

    yield start
    for s in servers:
        s.stop()


def droid_example():
    rng = np.random.default_rng(0)
    return {"observation/exterior_image_1_left": rng.integers(256, size=(224, 224, 3), dtype=np.uint8),
            "observation/wrist_image_left": rng.integers(256, size=(224, 224, 3), dtype=np.uint8),
            "observation/joint_position": rng.random(7), "observation/gripper_position": rng.random(1),
            "prompt": "do something"}


def test_openpis_client_talks_to_hirobots_server(serve):
    s = serve(RampPolicy(horizon=12))
    client = websocket_client_policy.WebsocketClientPolicy("127.0.0.1", s.port)
    meta = client.get_server_metadata()
    assert (meta["action_horizon"], meta["action_dim"]) == (12, 7)
    out = client.infer({"images": {}, "state": np.zeros(7, np.float32), "prompt": "go"})
    assert out["actions"].shape == (12, 7) and "infer_ms" in out["server_timing"]


def test_an_empty_metadata_droid_server_round_trip_with_openpis_client(serve):
    s = serve(DroidShaped(), describe=False)
    client = websocket_client_policy.WebsocketClientPolicy("127.0.0.1", s.port)
    assert client.get_server_metadata() == {}
    assert client.infer(droid_example())["actions"].shape == (15, 8)


class SevenJointArm(KinematicArm):
    """A 7-joint arm (DROID's Franka has 7) with two cameras."""

    joint_names = [f"j{i}" for i in range(7)]

    def __init__(self) -> None:
        super().__init__(max_speed=2.0)
        self.home_joints = np.zeros(7)
        self.q, self.target = np.zeros(7), np.zeros(7)

    def observe(self, render: bool = False) -> Observation:
        obs = super().observe(render)
        obs.images = {"front": np.full((180, 240, 3), 90, np.uint8), "wrist": np.full((120, 160, 3), 30, np.uint8)}
        return obs


def test_hirobot_plays_a_droid_server_that_sends_no_metadata(serve):
    policy = DroidShaped()
    s = serve(policy, describe=False)
    remote = RemotePolicy(f"ws://127.0.0.1:{s.port}", keys="droid", name="pi05-droid")
    meta = remote.metadata  # from the DROID key map: the server said nothing
    assert (meta.action_horizon, meta.action_dim, meta.rate_hz) == (15, 8, 15.0)
    catalog = PolicyCatalog({"pi05-droid": PolicyEntry(endpoint=f"ws://127.0.0.1:{s.port}", keys="droid")})
    arm = SevenJointArm()
    outcome, handle = Executor(arm, clock=LockstepClock()).run(
        PolicySkill.configured(catalog)(), PolicyArgs(policy="pi05-droid", max_seconds=1.0),
        instruction="put the marker in the cup", extras={"policy_blocking": True})
    assert policy.seen and policy.seen[0]["prompt"] == "put the marker in the cup"
    assert outcome.detail["calls"] >= 2 and handle.stats.ticks >= 15
    assert arm.q[0] > 0.05  # the chunk rows moved the arm
    remote.close()


def test_a_server_that_states_nothing_needs_the_shape_in_configuration(serve):
    s = serve(DroidShaped(), describe=False)
    custom = {**PRESETS["droid"].model_dump(), "name": "my-droid", "action_horizon": None, "action_dim": None,
              "rate_hz": None}
    with pytest.raises(PolicyError, match="does not say its action_horizon, action_dim, rate_hz"):
        RemotePolicy(f"ws://127.0.0.1:{s.port}", keys=custom).metadata
    stated = RemotePolicy(f"ws://127.0.0.1:{s.port}", keys=custom,
                          fallback={"action_horizon": 15, "action_dim": 8, "rate_hz": 15})
    assert (stated.metadata.action_horizon, stated.metadata.action_dim) == (15, 8)
    obs = {"images": {"front": np.zeros((224, 224, 3), np.uint8), "wrist": np.zeros((224, 224, 3), np.uint8)},
           "state": np.zeros(8, np.float32), "prompt": "x"}
    assert stated.infer(obs)["actions"].shape == (15, 8)
    stated.close()


def test_a_droid_server_does_not_fit_a_six_joint_arm_and_the_arm_never_moves(serve):
    s = serve(DroidShaped(), describe=False)
    catalog = PolicyCatalog({"pi05-droid": PolicyEntry(endpoint=f"ws://127.0.0.1:{s.port}", keys="droid")})
    arm = KinematicArm()
    outcome, _ = Executor(arm, clock=LockstepClock()).run(PolicySkill.configured(catalog)(),
                                                          PolicyArgs(policy="pi05-droid"), instruction="x")
    assert outcome.status.value == "failure"
    for part in ("does not fit this robot", "observation/joint_position wants 7 values, the robot's joints has 6",
                 "observation/exterior_image_1_left needs the camera 'front'",
                 "the server answers 8 action values per row, the robot takes 7"):
        assert part in outcome.reason
    assert np.allclose(arm.q, 0)


def test_aloha_and_libero_key_maps_lay_out_openpis_examples():
    obs = {"images": {"front": np.zeros((96, 128, 3), np.uint8), "wrist": np.ones((96, 128, 3), np.uint8)},
           "state": np.arange(14, dtype=np.float32), "prompt": "fold the towel"}
    aloha = keymap("aloha").apply(obs)
    assert sorted(aloha["images"]) == ["cam_high", "cam_left_wrist"]
    assert aloha["images"]["cam_high"].shape == (3, 224, 224) and aloha["images"]["cam_high"].dtype == np.uint8
    assert aloha["state"].shape == (14,) and aloha["prompt"] == "fold the towel"
    libero = keymap("libero")
    assert libero.problems(obs) == ["observation/state wants 8 values, the robot's state has 14"]
    out = libero.apply({**obs, "state": np.zeros(8, np.float32)})
    assert sorted(out) == ["observation/image", "observation/state", "observation/wrist_image", "prompt"]
    assert out["observation/image"].shape == (224, 224, 3)
    with pytest.raises(ValueError, match="unknown key map 'franka'"):
        keymap("franka")
