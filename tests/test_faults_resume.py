"""Faults around a killed process: the world a resumed job starts from, the cues it prints,
and an event log whose last line was torn by the kill."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from agent import events as ev
from agent.config import SessionConfig
from agent.eventlog import EventLog, read_events
from agent.session import Session
from sim.predicates import check_all

ROOT = Path(__file__).resolve().parent.parent

# Two steps; the process dies (SIGKILL) either after step 1's checkpoint is written and before
# step 2 starts (the first thing step 2 does is look at the scene), or while step 2 runs.
KILLED = textwrap.dedent("""
    import os, signal, sys
    from agent import events as ev
    from agent.config import SessionConfig
    from agent.session import Session
    from sim.scenario import ObjectSpec, SceneSpec

    scene = SceneSpec(seed=3, objects=[
        ObjectSpec(name="red cup", kind="cup", color="red", at="front-left"),
        ObjectSpec(name="blue cup", kind="cup", color="blue", at="front-right"),
        ObjectSpec(name="tray", kind="tray", at="back")])
    mode = sys.argv[2]
    seen = []

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    def on_tick(handle, obs):
        if mode == "during" and any(isinstance(e, ev.StepStarted) and e.index == 2 for e in seen):
            die()

    s = Session(scene, SessionConfig(home=sys.argv[1]), session_id=mode, on_tick=on_tick)
    s.bus.subscribe(seen.append)
    real_scene = s.runtime.perception.scene

    class DiesBeforeStep2:
        name = "state"
        def scene(self):
            if mode == "between" and any(isinstance(e, ev.StepFinished) for e in seen):
                die()
            return real_scene()
        def holds(self, p):
            return s.perception.holds(p)

    s.runtime.perception = DiesBeforeStep2()
    s.say("put the red cup on the tray, then put the blue cup on the tray")
""")


def _kill_and_resume(home: Path, mode: str) -> dict:
    child = subprocess.run([sys.executable, "-c", KILLED, str(home), mode], cwd=ROOT, timeout=120,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert child.returncode == -9, "the job was killed"
    log = home / "sessions" / mode / "events.jsonl"
    before = list(read_events(log))
    assert [e.index for e in before if e.type == "step_finished"] == [1]
    s = Session.resume(mode, SessionConfig(home=home))
    assert s.unfinished()
    r = s.continue_job()
    state = s.robot.state()
    s.close()
    return {"result": r, "state": state, "before": before, "after": list(read_events(log))}


@pytest.fixture(scope="module")
def killed_between_steps(tmp_path_factory):
    return _kill_and_resume(tmp_path_factory.mktemp("home"), "between")


@pytest.fixture(scope="module")
def killed_during_step(tmp_path_factory):
    return _kill_and_resume(tmp_path_factory.mktemp("home"), "during")


def test_resume_after_a_kill_between_steps_keeps_the_finished_step_in_the_world(killed_between_steps):
    r = killed_between_steps["result"]
    ok, failed = check_all(["on(red cup, tray)", "on(blue cup, tray)"], killed_between_steps["state"])
    assert ok, f"the world of the finished step was rolled back: {failed}"
    assert r.outcome == "done"
    assert [x["step"]["args"]["object"] for x in r.steps] == ["blue cup"], "step 1 is not run again"


def test_resume_after_a_kill_during_a_step_reruns_that_step_from_where_it_started(killed_during_step):
    r = killed_during_step["result"]
    ok, failed = check_all(["on(red cup, tray)", "on(blue cup, tray)"], killed_during_step["state"])
    assert ok, failed
    assert r.outcome == "done"
    assert [x["step"]["args"]["object"] for x in r.steps] == ["blue cup"]


@pytest.mark.parametrize("fixture", ["killed_between_steps", "killed_during_step"])
def test_resume_prints_no_false_moved_cue(fixture, request):
    run = request.getfixturevalue(fixture)
    new = run["after"][len(run["before"]):]
    moved = [e for e in new if e.type == "cue" and e.kind == "object_moved"]
    assert moved == [], f"nobody moved anything, yet: {moved}"


def test_a_torn_last_line_does_not_swallow_the_next_event(tmp_path):
    path = tmp_path / "events.jsonl"
    with EventLog(path, session="s") as log:
        log.append(ev.Utterance(text="first"))
    with open(path, "a", encoding="utf-8") as f:
        f.write('{"type": "spoken", "text": "half a li')  # the kill came mid-write
    with EventLog(path, session="s") as log:
        log.append(ev.Utterance(text="after the resume"))
    texts = [e.text for e in read_events(path)]
    assert texts == ["first", "after the resume"]
    assert path.read_text().endswith("\n")
