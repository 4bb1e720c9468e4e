"""A recorded session read back by LeRobot's own dataset classes (skipped when LeRobot is absent).

LeRobot pins torch below the build this project installs and imports torchvision at module
level, so it is not a dependency here; this test runs wherever both are importable.
"""

import numpy as np
import pytest

lerobot_dataset = pytest.importorskip("lerobot.datasets.lerobot_dataset")

from skills.api import Action, Observation, Outcome  # noqa: E402
from skills.recording import DatasetRecorder  # noqa: E402


def _obs(i):
    img = np.full((32, 32, 3), i * 10 % 256, np.uint8)
    return Observation(t=i * 0.05, joints=np.full(6, i * 0.01), gripper=0.0, gripper_width=0.08,
                       ee_pos=np.zeros(3), ee_quat=np.array([1.0, 0, 0, 0]), images={"front": img, "wrist": img})


@pytest.fixture
def session(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    root = tmp_path / "ds"
    rec = DatasetRecorder.create(root, fps=20, joint_names=[f"j{i}" for i in range(6)], image_size=(32, 32))
    for task, n in (("put the red cup in the bin", 12), ("put the blue cup in the bin", 8)):
        rec.begin_episode(task)
        for i in range(n):
            rec.on_tick(_obs(i), Action(joints=np.full(6, i * 0.01 + 0.01), gripper=0.5))
        rec.end_episode(Outcome.success("done"))
    rec.close()
    return root


def test_lerobot_reads_the_metadata_and_frames(session):
    root = session
    meta = lerobot_dataset.LeRobotDatasetMetadata("local/session", root=root)
    assert (meta.total_episodes, meta.total_frames, meta.total_tasks) == (2, 20, 2)
    assert meta.video_keys == ["observation.images.front", "observation.images.wrist"]
    assert meta.get_task_index("put the blue cup in the bin") == 1
    assert meta.episodes[1]["dataset_from_index"] == 12
    ds = lerobot_dataset.LeRobotDataset("local/session", root=root)
    assert ds.num_episodes == 2 and len(ds) == 20
    ds._ensure_hf_dataset_loaded()
    row = ds.hf_dataset[13]
    assert int(row["task_index"]) == 1 and int(row["frame_index"]) == 1
    np.testing.assert_allclose(np.asarray(row["action"]), [0.02] * 6 + [0.5], atol=1e-6)


def test_lerobot_decodes_the_camera_frames(session):
    ds = lerobot_dataset.LeRobotDataset("local/session", root=session)
    try:
        import torchvision  # noqa: F401
        item = ds[13]
    except (ImportError, AttributeError):
        pytest.skip("no video backend to decode frames with")
    assert item["task"] == "put the blue cup in the bin"
    assert tuple(item["observation.images.front"].shape) == (3, 32, 32)
