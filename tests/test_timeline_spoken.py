"""The robot never goes deaf while it thinks, spoken: the words are synthesized and played in
real time into the real speech pipeline (voice activity, end of turn, recognition, reflexes),
wired to the session the way `listen` wires a microphone, and the planner takes 10 s for
every turn after the first. A spoken "Stop!" said while that planner thinks still halts the
arm; "Wait." and "Go on." pause and resume it without asking the planner; an instruction said
while the arm moves is acted on once the slow answer comes. (Timings are a benchmark's job,
bench/bench_timeline.py; this checks what happens.)"""

from __future__ import annotations

import threading
import time

import pytest

pytest.importorskip("faster_whisper")
pytest.importorskip("piper")

from agent import events as ev  # noqa: E402
from agent.config import SessionConfig  # noqa: E402
from agent.planners.base import PlannerCancelled  # noqa: E402
from agent.planners.rules import RulesPlanner  # noqa: E402
from agent.session import Session  # noqa: E402
from agent.voice import open_voice  # noqa: E402
from sim.predicates import check_all  # noqa: E402
from sim.scenario import SceneSpec  # noqa: E402

LATER_TURN_S = 10.0
SCENE = SceneSpec.model_validate({"seed": 17, "objects": [
    {"name": "red cup", "kind": "cup", "color": "red"}, {"name": "blue cup", "kind": "cup", "color": "blue"},
    {"name": "bin", "kind": "bin", "at": "right"}]})


class SlowRules:
    """The rules planner, answering the first turn at once and later ones after 10 s."""

    name = "slow-rules"

    def __init__(self) -> None:
        self.rules = RulesPlanner()
        self.asked: list[str] = []

    def plan(self, inp, on_step=None, cancel=None):
        self.asked.append(inp.utterance)
        if len(self.asked) > 1 and (cancel or threading.Event()).wait(LATER_TURN_S):
            raise PlannerCancelled()
        return self.rules.plan(inp)


@pytest.fixture(scope="module")
def kit():
    from agent.evaluate_voice import SpeechKit

    return SpeechKit(voice="piper:steady").load()


def _run(tmp_path, kit, script, until) -> tuple[Session, SlowRules, dict]:
    """Speak "Put the red cup in the bin.", then each (seconds, text) of `script`: the first
    that long after the arm starts moving, each next one that long after the one before it
    has been played; until `until(box)`."""
    from speech.sources import ScriptedSource

    planner = SlowRules()
    box: dict = {"events": []}

    def on_tick(handle, obs) -> None:
        if handle.motion_started_at is None:
            return
        box.setdefault("handle", handle)
        played = box.setdefault("played", [])
        if len(played) < len(script) and (not played or played[-1].done.is_set()):
            after, text = script[len(played)]
            since = (time.perf_counter() - handle.motion_started_at if not played
                     else time.monotonic() - played[-1].ended_wall)
            if since >= after:
                played.append(source.say(kit.synth.synth(text), label=text))

    session = Session(SCENE, SessionConfig(home=tmp_path, realtime=True), planner=planner, on_tick=on_tick,
                      on_event=box["events"].append)
    source = ScriptedSource(keep_open=True, lead_s=0.2, speed=1.0)
    voice = open_voice(session, source, speak=False, asr=kit.asr, spotter=kit.spotter).start()
    box["session"], box["voice"] = session, voice
    try:
        source.say(kit.synth.synth("Put the red cup in the bin."), label="request")
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not until(box):
            time.sleep(0.05)
        voice.link.wait_idle(30)
    finally:
        voice.stop()
        session.close()
    return session, planner, box


def _holds(session: Session, *preds: str) -> bool:
    return check_all(list(preds), session.robot.state())[0]


def _all_said(box) -> bool:
    return len(box.get("played", [])) == box["n"] and box["played"][-1].done.is_set() \
        and not box["voice"].link.busy


def test_a_spoken_stop_halts_the_arm_while_the_planner_thinks(tmp_path, kit):
    script = [(0.5, "Also put the blue cup in the bin."), (0.8, "Stop!")]
    session, planner, box = _run(tmp_path, kit, script, lambda b: b.update(n=2) or _all_said(b))
    reflexes = [e for e in box["events"] if isinstance(e, ev.Reflex)]
    assert [r.command for r in reflexes][:1] == ["stop"], reflexes
    assert box["handle"].outcome.status.value == "cancelled" and box["handle"].rest_at is not None
    assert not _holds(session, "in(red cup, bin)") and not _holds(session, "in(blue cup, bin)")
    # The addition went to the planner, and the stop came while it still thought (its answer
    # never came: the stop dropped it); the stop itself never went to the planner.
    assert len(planner.asked) == 2 and "stop" not in planner.asked[-1].lower()
    assert sum(isinstance(e, ev.PlanMade) for e in box["events"]) == 1


def test_spoken_wait_and_go_on_pause_and_resume_without_the_planner(tmp_path, kit):
    seen: dict = {}

    def until(b) -> bool:
        b["n"] = 2
        h = b.get("handle")
        if h is not None and h.paused and h.rest_at is not None:
            seen["held"] = True
        return _all_said(b) and h is not None and h.done

    script = [(0.5, "Wait."), (2.0, "Okay, go on.")]
    session, planner, box = _run(tmp_path, kit, script, until)
    assert seen.get("held"), "the arm was held still after 'wait'"
    assert _holds(session, "in(red cup, bin)"), "and went on to finish after 'go on'"
    assert planner.asked == ["Put the red cup in the bin."]


def test_an_instruction_spoken_while_the_arm_moves_is_acted_on_after_the_slow_turn(tmp_path, kit):
    script = [(0.5, "Also put the blue cup in the bin.")]
    session, planner, box = _run(tmp_path, kit, script,
                                 lambda b: b.update(n=1) or (_all_said(b) and len(b["events"]) > 0
                                                             and any(isinstance(e, ev.JobEnded) for e in b["events"])))
    assert _holds(session, "in(red cup, bin)", "in(blue cup, bin)")
    assert len(planner.asked) == 2
    said = [e.text for e in box["events"] if isinstance(e, ev.Spoken)]
    assert "Let me think." in said
