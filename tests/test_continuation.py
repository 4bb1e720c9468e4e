"""A spoken request that goes on after a short pause ("Clean up." ... "Trash goes in the bin,
dishes on the tray.") is one request: its rest, marked by the voice link as continuing, is
planned together with its start, whether the robot had begun moving on the start or was about
to ask a question about it.

The planner here plans "to X" for every number said ("smallest first" sorts them) and asks
"Where to?" when no number is said. Moments are on the session's lockstep clock.
"""

from __future__ import annotations

import re
import threading
import time

from agent import events as ev
from agent.config import SessionConfig
from agent.eventlog import read_events
from agent.schema import PlannerInput, PlannerTurn
from agent.session import Session
from agent.voice import VoiceLink
from sim.scenario import SceneSpec
from tests.graph_doubles import FixedPerception, registry, step
from tests.kinematic_arm import KinematicArm


class NumberPlanner:
    name = "numbers"

    def __init__(self) -> None:
        self.inputs: list[PlannerInput] = []

    def plan(self, inp: PlannerInput, on_step=None, cancel=None) -> PlannerTurn:
        self.inputs.append(inp)
        targets = [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?", inp.utterance)]
        if "smallest first" in inp.utterance:
            targets.sort()
        if not targets:
            return PlannerTurn(say="", question="Where to?")
        if inp.running is None:
            return PlannerTurn(say="On it.", steps=[step(t) for t in targets])
        return PlannerTurn(say="And then that.", steps=list(inp.pending) + [step(t) for t in targets])


def _session(tmp_path, on_tick=None) -> tuple[Session, NumberPlanner]:
    planner = NumberPlanner()
    s = Session(SceneSpec(objects=[]), SessionConfig(home=tmp_path), robot=KinematicArm(max_speed=1.0),
                planner=planner, registry=registry(), perception=FixedPerception(), on_tick=on_tick)
    return s, planner


def _say_with_rest(tmp_path, request: str, rest: str, after_s: float = 0.3):
    """Say `request`, then `rest` as its continuation `after_s` into the first motion; the
    job's result and the planner."""
    box: dict = {}

    def hook(handle, obs):
        if handle.motion_started_at is None or "s" not in box or "said" in box:
            return
        if obs.t - handle.motion_started_at >= after_s:
            box["said"] = True
            # Simulated time waits until the job has acted on it, so the moment is definite.
            box["s"].interject(rest, source="voice", continues=True).handled.wait(10)

    s, planner = _session(tmp_path, hook)
    box["s"] = s
    r = s.say(request, source="voice")
    s.close()
    return r, planner


def test_the_rest_of_a_request_replans_it_whole_and_a_running_first_step_goes_on(tmp_path):
    r, planner = _say_with_rest(tmp_path, "go to 1.0", "and then to 0.5")
    whole = planner.inputs[-1]
    assert whole.utterance == "go to 1.0 and then to 0.5"
    assert whole.running is None and whole.pending == [], "planned as if nothing ran yet"
    assert [x["status"] for x in r.steps] == ["success", "success"], "the first step was not restarted"
    assert [x["step"]["args"]["to"] for x in r.steps] == [1.0, 0.5]


def test_the_rest_of_a_request_that_changes_its_first_step_stops_the_running_one(tmp_path):
    r, _ = _say_with_rest(tmp_path, "go to 1.0", "and to 0.5, smallest first")
    assert [(x["status"], x["step"]["args"]["to"]) for x in r.steps] == [
        ("cancelled", 1.0), ("success", 0.5), ("success", 1.0)]
    assert r.outcome == "done" and r.not_done == []


def test_a_question_waits_for_the_rest_of_a_spoken_request_and_is_not_asked(tmp_path):
    s, planner = _session(tmp_path)

    def quiet(quiet_s, arrived, timeout_s=5.0):  # the person is still talking: the rest arrives
        deadline = time.monotonic() + timeout_s
        while not arrived() and time.monotonic() < deadline:
            time.sleep(0.01)

    s.runtime.wait_for_quiet = quiet
    threading.Timer(0.2, lambda: s.interject("to 0.7", source="voice", continues=True)).start()
    asked: list[str] = []
    r = s.say("Go over there.", source="voice", answer=lambda q: asked.append(q) or "")
    s.close()
    assert asked == [] and not any(isinstance(e, ev.QuestionAsked) for e in read_events(s.dir / "events.jsonl"))
    assert planner.inputs[-1].utterance == "Go over there. to 0.7"
    assert r.outcome == "done" and [x["step"]["args"]["to"] for x in r.steps] == [0.7]


def test_a_typed_request_that_needs_a_question_is_asked_at_once(tmp_path):
    s, planner = _session(tmp_path)
    asked: list[str] = []
    s.say("Go over there.", answer=lambda q: asked.append(q) or "to 0.2")
    s.close()
    assert asked == ["Where to?"]


def test_only_speech_begun_right_after_the_request_and_not_correcting_it_continues_it(tmp_path):
    s, _ = _session(tmp_path)
    link = VoiceLink(s)
    busy = threading.Event()
    link._job = threading.Thread(target=busy.wait, daemon=True)  # a job is running
    link._job.start()
    link._request_end = 2.0
    try:
        def said(text: str, start: float) -> ev.Utterance:
            return ev.Utterance(text=text, final=True, start=start, end=start + 1.5, source="voice")

        assert link._continues(said("Trash goes in the bin.", 2.3), "Trash goes in the bin.")
        assert not link._continues(said("Trash goes in the bin.", 4.0), "Trash goes in the bin."), "a new turn"
        assert not link._continues(said("No, the blue one.", 2.3), "No, the blue one."), "a correction"
        assert not link._continues(said("Stop!", 2.3), "Stop!"), "a control word"
    finally:
        busy.set()
        s.close()
