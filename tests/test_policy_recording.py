"""Sessions recorded as LeRobot v3.0 datasets: layout, columns, tasks per step, read back."""

import json

import numpy as np
import pytest

pa = pytest.importorskip("pyarrow")
import pyarrow.parquet as pq  # noqa: E402

from skills.api import Action, Observation, Outcome  # noqa: E402
from skills.executor import Executor, LockstepClock  # noqa: E402
from skills.policies.args import PolicyArgs  # noqa: E402
from skills.policies.skill import PolicySkill  # noqa: E402
from skills.recording import DatasetRecorder, read_dataset  # noqa: E402
from tests.kinematic_arm import KinematicArm  # noqa: E402
from tests.policy_doubles import RampPolicy  # noqa: E402


class CameraArm(KinematicArm):
    """The kinematic arm with two small cameras whose picture encodes the joint angle."""

    def observe(self, render: bool = False) -> Observation:
        obs = super().observe(render)
        if render:
            v = int(np.clip(obs.joints[0] * 200, 0, 255))
            obs.images = {"front": np.full((32, 32, 3), v, np.uint8), "wrist": np.full((32, 32, 3), 255 - v, np.uint8)}
        return obs


def _obs(i):
    img = np.full((32, 32, 3), i * 10 % 256, np.uint8)
    return Observation(t=i * 0.05, joints=np.full(6, i * 0.01), gripper=0.0, gripper_width=0.08,
                       ee_pos=np.zeros(3), ee_quat=np.array([1.0, 0, 0, 0]), images={"front": img, "wrist": img})


def test_episodes_per_step_in_the_lerobot_layout(tmp_path):
    root = tmp_path / "ds"
    rec = DatasetRecorder.create(root, fps=20, joint_names=[f"j{i}" for i in range(6)], image_size=(32, 32))
    for step, (task, n) in enumerate([("put the red cup in the bin", 12), ("put the blue cup in the bin", 8)]):
        rec.begin_episode(task)
        for i in range(n):
            rec.on_tick(_obs(i), Action(joints=np.full(6, i * 0.01 + 0.01), gripper=0.5))
        if step == 0:
            rec.note_dialogue("correction", "not the plate!")
        rec.end_episode(Outcome.success("done") if step == 0 else Outcome.failure("missed"))
    rec.note_dialogue("question", "which cup?", answer="the blue one")
    rec.close()

    info = json.loads((root / "meta/info.json").read_text())
    assert info["codebase_version"] == "v3.0" and info["fps"] == 20
    assert (info["total_episodes"], info["total_frames"], info["total_tasks"]) == (2, 20, 2)
    assert info["features"]["observation.images.front"]["dtype"] == "video"
    assert info["features"]["observation.state"]["names"][-1] == "gripper"
    assert info["splits"] == {"train": "0:2"}

    data = pq.read_table(root / "data/chunk-000/file-001.parquet")
    assert data.schema.field("action").type == pa.list_(pa.float32(), 7)
    assert data.column("index").to_pylist() == list(range(12, 20))
    assert set(data.column("task_index").to_pylist()) == {1}
    np.testing.assert_allclose(data.column("action").to_pylist()[0], [0.01] * 6 + [0.5], atol=1e-6)

    tasks = pq.read_table(root / "meta/tasks.parquet")
    assert tasks.column("__index_level_0__").to_pylist() == ["put the red cup in the bin", "put the blue cup in the bin"]
    assert json.loads(tasks.schema.metadata[b"pandas"])["index_columns"] == ["__index_level_0__"]

    eps = pq.read_table(root / "meta/episodes/chunk-000/file-000.parquet").to_pydict()
    assert eps["length"] == [12, 8] and eps["dataset_from_index"] == [0, 12] and eps["dataset_to_index"] == [12, 20]
    assert eps["tasks"] == [["put the red cup in the bin"], ["put the blue cup in the bin"]]
    assert eps["videos/observation.images.front/to_timestamp"] == [0.6, 0.4]
    assert eps["hirobot/outcome"] == ["success", "failure"]
    assert "stats/observation.state/mean" in eps
    stats = json.loads((root / "meta/stats.json").read_text())
    assert stats["action"]["count"] == [20] and np.shape(stats["observation.images.front"]["mean"]) == (3, 1, 1)

    talk = [json.loads(line) for line in (root / "meta/dialogue.jsonl").read_text().splitlines()]
    assert [(t["kind"], t["episode_index"]) for t in talk] == [("correction", 0), ("question", 1)]

    back = list(read_dataset(root))
    assert [e.task for e in back] == ["put the red cup in the bin", "put the blue cup in the bin"]
    assert back[0].images["front"].shape == (12, 32, 32, 3)
    assert abs(int(back[0].images["front"][5].mean()) - 50) <= 3  # the frames are the ones given, in order


def test_wrapped_robot_pairs_each_action_with_its_observation(tmp_path):
    rec = DatasetRecorder.create(tmp_path / "ds", fps=20, joint_names=[f"j{i}" for i in range(6)], image_size=(32, 32))
    arm = rec.wrap(CameraArm(max_speed=2.0))
    ex = Executor(arm, clock=LockstepClock(), render=False)  # the recorder renders for itself
    rec.begin_episode("sweep right")
    outcome, handle = ex.run(PolicySkill(), PolicyArgs(policy="ramp", max_seconds=1.0), instruction="sweep right",
                             extras={"policies": {"ramp": RampPolicy(speed=0.01)}, "policy_blocking": True,
                                     "policy_blend_ticks": 0})
    rec.end_episode(outcome)
    rec.close()
    (ep,) = list(read_dataset(tmp_path / "ds"))
    assert ep.task == "sweep right" and len(ep.state) >= 19
    # the action recorded with each state is the target given in answer to it: one ramp step ahead
    np.testing.assert_allclose(ep.action[5:15, 0] - ep.state[5:15, 0], 0.01, atol=1e-4)
    assert ep.outcome == outcome.status.value == "success"  # the step's outcome, recorded with it


def test_nothing_is_recorded_outside_an_episode(tmp_path):
    rec = DatasetRecorder.create(tmp_path / "ds", fps=20, joint_names=[f"j{i}" for i in range(6)], image_size=(32, 32))
    rec.on_tick(_obs(0), Action(joints=np.zeros(6), gripper=0.0))
    assert rec.end_episode(None) is None
    rec.close()
    assert json.loads((tmp_path / "ds/meta/info.json").read_text())["total_episodes"] == 0
    with pytest.raises(FileExistsError):
        rec2 = DatasetRecorder.create(tmp_path / "ds2", fps=20, image_size=(32, 32))
        rec2.begin_episode("x")
        rec2.on_tick(_obs(0), Action(joints=np.zeros(6), gripper=0.0))
        rec2.close()
        DatasetRecorder.create(tmp_path / "ds2", fps=20)
