"""A process killed mid-step resumes at that step, with the plan and the log intact."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from agent.config import SessionConfig
from agent.eventlog import read_events
from agent.schema import PlannerTurn
from agent.session import Session
from tests.graph_doubles import FixedPerception, ScriptedPlanner, registry, step
from tests.kinematic_arm import KinematicArm

ROOT = Path(__file__).resolve().parent.parent

CHILD = textwrap.dedent("""
    import sys
    from agent.config import SessionConfig
    from agent.schema import PlannerTurn
    from agent.session import Session
    from sim.scenario import SceneSpec
    from tests.graph_doubles import FixedPerception, ScriptedPlanner, registry, step
    from tests.kinematic_arm import KinematicArm

    from agent.schema import Note

    def respond(inp):
        if inp.utterance.startswith("remember"):
            return PlannerTurn(say="Noted.", notes=[Note(text="go slowly near the plate")])
        return PlannerTurn(say="ok", steps=[step(0.3), step(4.0), step(4.5)])

    planner = ScriptedPlanner(respond)
    s = Session(SceneSpec(objects=[]), SessionConfig(home=sys.argv[1], realtime=True), session_id="killme",
                robot=KinematicArm(max_speed=1.0), planner=planner, registry=registry(),
                perception=FixedPerception())
    s.say("remember: go slowly near the plate")
    s.say("move it far")
""")


def test_killed_mid_step_resumes_at_that_step(tmp_path):
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path)], cwd=ROOT,
                             env={**os.environ, "PYTHONPATH": str(ROOT)})
    log = tmp_path / "sessions" / "killme" / "events.jsonl"
    deadline = time.time() + 60
    try:
        while time.time() < deadline:
            if any(e.type == "step_started" and e.index == 2 for e in read_events(log)):
                break
            assert child.poll() is None, "the job ended before it could be killed"
            time.sleep(0.05)
        else:
            raise AssertionError("step 2 never started")
        time.sleep(0.3)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    before = list(read_events(log))
    assert sum(e.type == "job_ended" for e in before) == 1, "only the first turn (the note) had ended"

    planner = ScriptedPlanner(lambda inp: PlannerTurn(say="should not be asked again"))
    s = Session.resume("killme", SessionConfig(home=tmp_path), robot=KinematicArm(max_speed=4.0),
                       planner=planner, registry=registry(), perception=FixedPerception())
    assert s.unfinished()
    assert [n["text"] for n in s.state()["notes"]] == ["go slowly near the plate"], "the notes survive"
    r = s.continue_job()
    assert not s.unfinished()
    s.close()
    assert planner.inputs == [], "resuming continues the saved plan; it does not plan again"
    # Step 2 (the one killed) and step 3 ran after the resume; step 1 was not repeated.
    assert [x["step"]["args"]["to"] for x in r.steps] == [4.0, 4.5]
    assert r.outcome == "done"
    after = list(read_events(log))
    assert after[: len(before)] == before, "the log is append-only across the crash"
    told = [e for e in after if e.type != "planner_asked"]  # when a planner call started, between them
    assert [e.type for e in told[:2]] == ["utterance", "plan"] and told[0].text.startswith("remember")
    assert any(e.type == "note" and e.text == "go slowly near the plate" for e in after)
    started = [e.index for e in after if e.type == "step_started"]
    assert started == [1, 2, 2, 3]
    assert after[-1].type == "job_ended"
