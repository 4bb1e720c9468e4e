"""A session recorded as a LeRobot dataset: an episode per step, the step's instruction as
each frame's task, both cameras, state and action, and the conversation beside it."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("pyarrow")

from agent.config import SessionConfig
from agent.session import Session
from sim.scenario import ObjectSpec, SceneSpec
from skills.recording import read_dataset


def test_a_two_step_job_becomes_two_episodes(tmp_path):
    scene = SceneSpec(seed=5, objects=[ObjectSpec(name="red cup", kind="cup", color="red"),
                                       ObjectSpec(name="green block", kind="block", color="green"),
                                       ObjectSpec(name="tray", kind="tray", at="left"),
                                       ObjectSpec(name="bin", kind="bin", at="right")])
    out = tmp_path / "dataset"
    s = Session(scene, SessionConfig(home=tmp_path / "home"), record_dataset=out)
    r = s.say("Put the red cup on the tray, then put the green block in the bin.")
    s.close()
    assert r.outcome == "done"
    info = json.loads((out / "meta" / "info.json").read_text())
    assert info["total_episodes"] == 2 and info["fps"] == 20
    episodes = list(read_dataset(out, image_size=32))
    assert [e.task for e in episodes] == ["put the red cup on the tray", "put the green block in the bin"]
    for e in episodes:
        n = len(e.timestamp)
        assert n > 50, "a place step lasts several seconds at 20 Hz"
        assert e.state.shape == (n, 7) and e.action.shape == (n, 7)
        assert set(e.images) == {"front", "wrist"} and e.images["front"].shape[0] == n
        assert np.all(np.diff(e.timestamp) > 0)
        assert e.outcome == "success"
    dialogue = [json.loads(line) for line in (out / "meta" / "dialogue.jsonl").read_text().splitlines()]
    assert dialogue[0]["kind"] == "utterance" and dialogue[0]["text"].startswith("Put the red cup")
