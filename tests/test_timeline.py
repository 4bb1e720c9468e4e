"""The robot never goes deaf while it thinks: with a planner that takes 10 s a turn, control
words still act at once, the running step never waits, and what is said during a slow turn
is acted on afterwards.

The planner's 10 s pass on the session's lockstep clock (simulated time), so each test is
fast and the moments are definite: words are typed from the control loop's tick hook at a
known simulated time, and the arm's rest time is read on the same clock.
"""

from __future__ import annotations

import re
import threading

import pytest

from agent import events as ev
from agent.config import SessionConfig
from agent.planners.base import PlannerCancelled
from agent.schema import PlannerInput, PlannerTurn
from agent.session import Session
from sim.scenario import SceneSpec
from tests.graph_doubles import FixedPerception, registry, step
from tests.kinematic_arm import KinematicArm

SLOW_S = 10.0


class SlowPlanner:
    """Answers the first turn at once and every later one after SLOW_S of session time. Plans
    "to X" for each number X said; "stop" is a stop. Stops early when cancelled."""

    name = "slow"

    def __init__(self) -> None:
        self.clock = None
        self.inputs: list[PlannerInput] = []
        self.cancelled = 0
        self.lock = threading.Lock()

    def plan(self, inp: PlannerInput, on_step=None, cancel=None) -> PlannerTurn:
        with self.lock:
            self.inputs.append(inp)
            first = len(self.inputs) == 1
        if not first:
            t0 = self.clock.now()
            if not self.clock.wait_until(t0 + SLOW_S, cancel=cancel):
                with self.lock:
                    self.cancelled += 1
                raise PlannerCancelled()
        self.answered_at = self.clock.now() if self.clock is not None else 0.0
        targets = [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?", inp.utterance)]
        if inp.running is None:
            return PlannerTurn(say="On it.", steps=[step(t) for t in targets])
        return PlannerTurn(say="And then that.", steps=list(inp.pending) + [step(t) for t in targets])


def _session(tmp_path, on_tick):
    planner = SlowPlanner()
    s = Session(SceneSpec(objects=[]), SessionConfig(home=tmp_path), robot=KinematicArm(max_speed=1.0),
                planner=planner, registry=registry(), perception=FixedPerception(), on_tick=on_tick)
    planner.clock = s.executor.clock
    return s, planner


def _say_at(box: dict, moments: list[tuple[float, str]]):
    """A tick hook that types each text once, t seconds into the first step's motion."""

    def hook(handle, obs):
        if handle.motion_started_at is None or "s" not in box:
            return
        box.setdefault("first", handle)
        for t, text in moments:
            if text not in box and obs.t - handle.motion_started_at >= t:
                box[text] = box["s"].executor.clock.now()
                box["s"].interject(text)

    return hook


def test_a_typed_stop_halts_the_arm_at_once_while_the_planner_would_take_10_s(tmp_path):
    box: dict = {}
    s, planner = _session(tmp_path, _say_at(box, [(0.3, "Stop!")]))
    box["s"] = s
    r = s.say("go to 1.0 then to 0")
    s.close()
    h = box["first"]
    assert r.outcome == "stopped"
    assert [x["status"] for x in r.steps] == ["cancelled"]
    assert h.rest_at is not None and h.rest_at - box["Stop!"] <= 0.3, (h.rest_at, box["Stop!"])
    assert 0.2 < s.robot.q[0] < 0.5, "the arm stopped where it was"
    assert len(planner.inputs) == 1, "a control word never waits for the planner"


def test_typed_wait_then_go_on_pauses_and_resumes(tmp_path):
    box: dict = {}
    held: dict = {}

    def go_on_when_held():
        # The person watches the arm hold still, then says to go on.
        while "first" not in box or not (box["first"].paused and box["first"].rest_at is not None):
            threading.Event().wait(0.005)
        held["q"] = float(s.robot.q[0])
        held["rest"] = box["first"].rest_at
        s.interject("Go on.")

    s, planner = _session(tmp_path, _say_at(box, [(0.3, "Wait.")]))
    box["s"] = s
    threading.Thread(target=go_on_when_held, daemon=True).start()
    r = s.say("go to 1.0")
    s.close()
    assert held["rest"] - box["Wait."] <= 0.3
    assert 0.2 < held["q"] < 0.5, "the arm held where the 'wait' caught it"
    assert r.outcome == "done" and [x["status"] for x in r.steps] == ["success"]
    assert abs(s.robot.q[0] - 1.0) < 1e-3
    assert len(planner.inputs) == 1


def test_what_is_said_during_a_slow_turn_is_merged_and_acted_on_afterwards(tmp_path):
    box: dict = {}
    events: list = []
    s, planner = _session(tmp_path, _say_at(box, [(0.2, "and then to -0.5"), (0.4, "and then to 0.25")]))
    box["s"] = s
    s.bus.subscribe(events.append)
    r = s.say("go to 1.0")
    s.close()
    assert [x["step"]["args"]["to"] for x in r.steps] == [1.0, -0.5, 0.25]
    assert all(x["status"] == "success" for x in r.steps)
    # The second thing said was merged into the turn in flight: cancelled and asked again with both.
    assert planner.cancelled == 1
    assert planner.inputs[-1].utterance == "and then to -0.5 and then to 0.25"
    said = [e.text for e in events if isinstance(e, ev.Spoken)]
    assert "Got that too." in said and "Let me think." in said
    # The running step never waited for the planner: it ended (on time: 1 rad at 1 rad/s)
    # long before the answer came, 10 s after the second thing was said.
    kinds = [(type(e).__name__, getattr(e, "index", None)) for e in events
             if isinstance(e, (ev.StepFinished, ev.PlanMade))]
    assert kinds.index(("StepFinished", 1)) < kinds.index(("PlanMade", None), 1)
    assert box["first"].stats.ticks < 1.5 * 20
    assert planner.answered_at - box["and then to 0.25"] >= SLOW_S


def test_an_instruction_said_with_a_stop_is_taken_up_by_the_next_job(tmp_path):
    box: dict = {}
    s, planner = _session(tmp_path, _say_at(box, [(0.3, "Stop!"), (0.3, "now go to -0.5")]))
    box["s"] = s
    r = s.say("go to 1.0")
    s.close()
    assert [x["status"] for x in r.steps] == ["cancelled", "success"]
    assert abs(s.robot.q[0] + 0.5) < 1e-3
    assert planner.inputs[-1].utterance == "now go to -0.5"


class ReplanPlanner(SlowPlanner):
    """First turn: a step that always fails (the "flaky" skill). The replan that follows the
    failed retry takes SLOW_S; when it starts, the person says `during` (the planner says it
    for them, so the moment is definite: the replan is in flight)."""

    def __init__(self, session_box: dict, during: list[str]) -> None:
        super().__init__()
        self.box = session_box
        self.during = during

    def plan(self, inp, on_step=None, cancel=None):
        with self.lock:
            n = len(self.inputs) + 1
        if n == 1:
            self.inputs.append(inp)
            return PlannerTurn(say="On it.", steps=[step(0.4, skill="flaky")])
        if n == 2:
            for text in self.during:
                self.box["s"].interject(text)
        return super().plan(inp, on_step=on_step, cancel=cancel)


def _replan_session(tmp_path, during):
    from tests.graph_doubles import Flaky
    Flaky.runs, Flaky.fail_times = 0, 10
    box: dict = {}
    planner = ReplanPlanner(box, during)
    s = Session(SceneSpec(objects=[]), SessionConfig(home=tmp_path), robot=KinematicArm(max_speed=1.0),
                planner=planner, registry=registry(Flaky), perception=FixedPerception())
    planner.clock = s.executor.clock
    box["s"] = s
    return s, planner


def test_a_stop_during_the_replan_after_a_failure_is_heard_and_drops_the_replan(tmp_path):
    s, planner = _replan_session(tmp_path, ["Stop!"])
    events: list = []
    s.bus.subscribe(events.append)
    r = s.say("move it")
    s.close()
    assert r.outcome == "stopped"
    assert [x["status"] for x in r.steps] == ["failure", "failure"]  # try, retry; no replanned step
    for _ in range(200):  # the planner's thread notices the cancel within its poll
        if planner.cancelled:
            break
        threading.Event().wait(0.01)
    assert planner.cancelled == 1, "the replan was cancelled, not waited for"
    assert [e for e in events if isinstance(e, ev.PlanMade)][-1].utterance == "move it"
    assert len([e for e in events if isinstance(e, ev.PlanMade)]) == 1, "the replan never answered"


def test_an_instruction_said_during_the_replan_is_acted_on_afterwards(tmp_path):
    s, planner = _replan_session(tmp_path, ["then go to -0.5"])
    events: list = []
    s.bus.subscribe(events.append)
    r = s.say("move it")
    s.close()
    assert planner.cancelled == 0
    # The replan answered (a step to nothing: no number in "move it"), then what was said
    # during it was heard by the next dispatch and planned.
    assert planner.inputs[1].utterance == "move it"
    assert planner.inputs[-1].utterance == "then go to -0.5"
    assert r.steps[-1]["step"]["args"]["to"] == -0.5 and r.steps[-1]["status"] == "success"
    assert abs(s.robot.q[0] + 0.5) < 1e-3
    said = [e.text for e in events if isinstance(e, ev.Spoken)]
    assert "Let me think." in said, "a slow replan is acknowledged"


# -- configuration that means what it says -----------------------------------------------------

def test_control_hz_sets_the_rate_every_skill_runs_at(tmp_path):
    ticks = {}
    for hz in (20.0, 50.0):
        s = Session(SceneSpec(objects=[]), SessionConfig(home=tmp_path / str(hz), control_hz=hz),
                    robot=KinematicArm(max_speed=1.0), planner=SlowPlanner(), registry=registry(),
                    perception=FixedPerception())
        events: list = []
        s.bus.subscribe(events.append)
        s.say("go to 1.0")
        s.close()
        (done,) = [e for e in events if isinstance(e, ev.StepFinished)]
        ticks[hz] = done.ticks
    # 1 rad at 1 rad/s: a second of ticks at the configured rate.
    assert 18 <= ticks[20.0] <= 23 and 48 <= ticks[50.0] <= 53, ticks


def test_bad_configuration_is_one_clear_line_and_unknown_keys_are_named(tmp_path):
    from agent.config import load_config

    for bad in ("control_hz = 0", "control_hz = -20", "control_hz = 1e5"):
        (tmp_path / "c.toml").write_text(bad + "\n")
        with pytest.raises(ValueError) as e:
            load_config(tmp_path / "c.toml")
        assert "control_hz" in str(e.value) and "\n" not in str(e.value), str(e.value)
    (tmp_path / "c.toml").write_text('contol_hz = 50\nplanner = "rules"\n')
    with pytest.raises(ValueError) as e:
        load_config(tmp_path / "c.toml")
    assert "contol_hz: unknown setting" in str(e.value)
    (tmp_path / "c.toml").write_text("control_hz = 50\n")
    assert load_config(tmp_path / "c.toml").control_hz == 50.0
