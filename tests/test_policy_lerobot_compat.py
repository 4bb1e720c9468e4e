"""hirobot's recorded sessions and LeRobot's datasets, each read, grown and merged by the other.

Runs against the real LeRobot (in .venv-lerobot, which `make test` builds), through its public
API only: LeRobotDatasetMetadata, LeRobotDataset (indexing decodes the frames), resume +
add_frame + save_episode + finalize (how a LeRobot user adds demonstrations), create, and
aggregate_datasets (merging). hirobot's reader must read what LeRobot wrote.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("lerobot", reason="runs in .venv-lerobot (make test builds it)")
from lerobot.datasets.aggregate import aggregate_datasets
from lerobot.datasets.lerobot_dataset import LeRobotDataset, LeRobotDatasetMetadata

from skills.api import Action, Observation, Outcome
from skills.recording import DatasetRecorder, read_dataset
from skills.recording.stats import QUANTILE_KEYS

pytestmark = pytest.mark.lerobot

SIZE = 32


def _obs(i):
    img = np.full((SIZE, SIZE, 3), i * 10 % 256, np.uint8)
    return Observation(t=i * 0.05, joints=np.full(6, i * 0.01), gripper=0.0, gripper_width=0.08,
                       ee_pos=np.zeros(3), ee_quat=np.array([1.0, 0, 0, 0]), images={"front": img, "wrist": img})


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture(params=["lerobot", "hirobot"])
def session(tmp_path, request):
    """A recorded session, written by LeRobot's own writer (what hirobot uses where LeRobot is
    installed) and by hirobot's (where it is not)."""
    root = tmp_path / "ds"
    rec = DatasetRecorder.create(root, fps=20, joint_names=[f"j{i}" for i in range(6)], image_size=(SIZE, SIZE),
                                 writer=request.param)
    assert type(rec).__name__ == {"lerobot": "LeRobotRecorder", "hirobot": "DatasetRecorder"}[request.param]
    for task, n in (("put the red cup in the bin", 12), ("put the blue cup in the bin", 8)):
        rec.begin_episode(task)
        for i in range(n):
            rec.on_tick(_obs(i), Action(joints=np.full(6, i * 0.01 + 0.01), gripper=0.5))
        rec.end_episode(Outcome.success("done"))
    rec.note_dialogue("correction", "not the plate!")
    rec.close()
    return root


def _lerobot_frame(i, task):
    img = np.full((SIZE, SIZE, 3), 200 - i, np.uint8)
    return {"observation.images.front": img, "observation.images.wrist": img,
            "observation.state": np.full(7, 0.5 + i * 0.01, np.float32),
            "action": np.full(7, 0.6 + i * 0.01, np.float32), "task": task}


def test_lerobot_reads_the_metadata_and_frames(session):
    meta = LeRobotDatasetMetadata("local/session", root=session)
    assert (meta.total_episodes, meta.total_frames, meta.total_tasks) == (2, 20, 2)
    assert meta.video_keys == ["observation.images.front", "observation.images.wrist"]
    assert meta.get_task_index("put the blue cup in the bin") == 1
    for q in QUANTILE_KEYS:  # what QUANTILES normalization (pi0.5) reads
        assert len(meta.stats["action"][q]) == 7
    ds = LeRobotDataset("local/session", root=session)
    assert ds.num_episodes == 2 and len(ds) == 20
    item = ds[13]
    assert item["task"] == "put the blue cup in the bin"
    assert int(item["frame_index"]) == 1
    np.testing.assert_allclose(item["action"].numpy(), [0.02] * 6 + [0.5], atol=1e-6)
    assert tuple(item["observation.images.front"].shape) == (3, SIZE, SIZE)


def test_lerobot_resumes_appends_to_and_reloads_a_recorded_session(session):
    ds = LeRobotDataset.resume("local/session", root=session)
    for i in range(10):
        ds.add_frame(_lerobot_frame(i, "stack the blocks"))
    ds.save_episode()
    ds.finalize()

    again = LeRobotDataset("local/session", root=session)
    assert again.num_episodes == 3 and len(again) == 30
    item = again[25]
    assert item["task"] == "stack the blocks" and int(item["episode_index"]) == 2
    np.testing.assert_allclose(item["observation.state"].numpy(), np.full(7, 0.55), atol=1e-6)
    assert again[3]["task"] == "put the red cup in the bin"  # the recorded episodes are still there

    # ... and hirobot reads the grown dataset, LeRobot's episode included
    episodes = list(read_dataset(session))
    assert [e.task for e in episodes] == ["put the red cup in the bin", "put the blue cup in the bin", "stack the blocks"]
    assert [len(e.action) for e in episodes] == [12, 8, 10]
    assert [e.outcome for e in episodes] == ["success", "success", ""]  # LeRobot's episode has no outcome
    assert episodes[2].images["front"].shape == (10, SIZE, SIZE, 3)


def test_hirobot_reads_a_dataset_lerobot_wrote(tmp_path):
    features = {
        "observation.images.front": {"dtype": "video", "shape": (SIZE, SIZE, 3), "names": ["height", "width", "channels"]},
        "observation.images.wrist": {"dtype": "video", "shape": (SIZE, SIZE, 3), "names": ["height", "width", "channels"]},
        "observation.state": {"dtype": "float32", "shape": (7,), "names": [f"m{i}" for i in range(7)]},
        "action": {"dtype": "float32", "shape": (7,), "names": [f"m{i}" for i in range(7)]},
    }
    ds = LeRobotDataset.create("local/theirs", fps=20, root=tmp_path / "theirs", features=features, robot_type="so101_follower")
    for task, n in (("pick the cube", 6), ("place the cube", 5)):
        for i in range(n):
            ds.add_frame(_lerobot_frame(i, task))
        ds.save_episode()
    ds.finalize()
    episodes = list(read_dataset(tmp_path / "theirs"))
    assert [e.task for e in episodes] == ["pick the cube", "place the cube"]
    np.testing.assert_allclose(episodes[1].state[2], np.full(7, 0.52), atol=1e-6)
    assert episodes[0].images["wrist"].shape == (6, SIZE, SIZE, 3)


def test_lerobot_recomputes_the_stats_of_a_recorded_session_to_what_was_written(session):
    from lerobot.datasets.dataset_tools import recompute_stats

    written = LeRobotDatasetMetadata("local/session", root=session).stats
    ds = recompute_stats(LeRobotDataset("local/session", root=session))
    for key in ("observation.state", "action"):
        for stat in ("min", "max", "mean", "std"):
            np.testing.assert_allclose(np.asarray(ds.meta.stats[key][stat]), np.asarray(written[key][stat]), atol=1e-5)
        for q in ("q01", "q50", "q99"):  # LeRobot's histogram quantiles against the written ones
            np.testing.assert_allclose(np.asarray(ds.meta.stats[key][q]), np.asarray(written[key][q]), atol=0.01)
    assert len(LeRobotDataset("local/session", root=session)) == 20  # still loads after the rewrite


def test_what_lerobots_merge_keeps_and_drops_of_hirobots_extras(session, tmp_path):
    """The README states this: merging keeps frames, tasks, quantile stats and the
    hirobot/outcome episode column, and drops meta/dialogue.jsonl."""
    assert json.loads((session / "meta" / "dialogue.jsonl").read_text().splitlines()[0])["text"] == "not the plate!"
    merged = tmp_path / "merged"
    aggregate_datasets(["local/session", "local/session2"], "local/merged", roots=[session, session], aggr_root=merged)
    ds = LeRobotDataset("local/merged", root=merged)
    assert ds.num_episodes == 4 and ds.meta.total_tasks == 2
    for q in QUANTILE_KEYS:
        assert q in ds.meta.stats["action"]
    episodes = list(read_dataset(merged))
    assert [e.task for e in episodes][:2] == ["put the red cup in the bin", "put the blue cup in the bin"]
    assert not (merged / "meta" / "dialogue.jsonl").exists()
    assert [e.outcome for e in episodes] == ["success"] * 4
    # `hirobot train --dataset <merged>` learns from it (it ended in a traceback before)
    from skills.policies.train import train

    report = train(merged, tmp_path / "ckpt", steps=2, batch=4)
    assert report.episodes == 4 and (tmp_path / "ckpt" / "model.safetensors").exists()
