"""The session graph's flow: plan, ask, dispatch, interjections, retries, and the event log."""

from __future__ import annotations


from agent import events as ev
from agent.config import SessionConfig
from agent.eventlog import read_events
from agent.schema import Note, PlannerTurn
from agent.session import Session
from sim.scenario import SceneSpec
from tests.graph_doubles import Flaky, FixedPerception, ScriptedPlanner, registry, step
from tests.kinematic_arm import KinematicArm


def make(tmp_path, respond, *extra_skills, holds=lambda p: True, on_tick=None, answer=None, arm=None):
    planner = ScriptedPlanner(respond)
    s = Session(SceneSpec(objects=[]), SessionConfig(home=tmp_path), robot=arm or KinematicArm(max_speed=2.0),
                planner=planner, registry=registry(*extra_skills), perception=FixedPerception(holds),
                on_tick=on_tick, answer=answer)
    return s, planner


def logged(session):
    return list(read_events(session.dir / "events.jsonl"))


def test_a_plan_runs_step_by_step_and_the_log_tells_the_story(tmp_path):
    s, _ = make(tmp_path, lambda inp: PlannerTurn(say="On it.", steps=[step(0.5), step(1.0)]))
    r = s.say("do the thing")
    s.close()
    assert r.outcome == "done"
    assert [x["status"] for x in r.steps] == ["success", "success"]
    assert abs(s.robot.q[0] - 1.0) < 1e-3
    kinds = [e.type for e in logged(s)]
    assert kinds.index("plan") < kinds.index("step_started") < kinds.index("step_finished") < kinds.index("job_ended")
    assert kinds.count("step_finished") == 2
    assert "On it." in r.said


def test_a_question_waits_for_the_answer_and_the_planner_sees_it(tmp_path):
    def respond(inp):
        if inp.pending_question is None:
            return PlannerTurn(question="Which cup, the red one or the blue one?")
        assert inp.utterance == "the red one"
        return PlannerTurn(say="The red one.", steps=[step(0.3)])

    s, planner = make(tmp_path, respond, answer=lambda q: "the red one")
    r = s.say("put the cup away")
    s.close()
    assert r.questions == ["Which cup, the red one or the blue one?"]
    assert r.outcome == "done" and len(r.steps) == 1
    assert planner.inputs[1].pending_question == "Which cup, the red one or the blue one?"
    assert [d.kind for d in planner.inputs[1].dialogue] == ["say", "question"]
    assert any(isinstance(e, ev.QuestionAsked) for e in logged(s))


def test_no_answer_to_a_question_moves_nothing(tmp_path):
    def respond(inp):
        if inp.pending_question is None:
            return PlannerTurn(question="Which cup?")
        return PlannerTurn(say="Okay, I'll leave it.")

    s, _ = make(tmp_path, respond, answer=lambda q: None)
    r = s.say("put the cup away")
    s.close()
    assert r.steps == [] and s.robot.q[0] == 0.0


def _interject_at(t_s: float, text: str, box: dict):
    """An on_tick hook that says `text` once, t_s seconds into the first step's motion."""

    def hook(handle, obs):
        if "said" not in box and handle.motion_started_at is not None and obs.t - handle.motion_started_at >= t_s:
            box["said"] = box["session"].interject(text)
            box["q_at"] = float(obs.joints[0])
            box["said"].handled.wait(10.0)

    return hook


def test_a_correction_mid_step_preempts_and_replans(tmp_path):
    box: dict = {}

    def respond(inp):
        if inp.running is None:
            return PlannerTurn(steps=[step(1.0)])
        assert inp.running.args["to"] == 1.0, "the planner is told which step is running"
        return PlannerTurn(say="Okay, there instead.", preempt=True, steps=[step(-0.5)])

    s, _ = make(tmp_path, respond, on_tick=_interject_at(0.2, "actually, the other way", box))
    box["session"] = s
    r = s.say("move it")
    s.close()
    assert [x["status"] for x in r.steps] == ["cancelled", "success"]
    assert abs(s.robot.q[0] + 0.5) < 1e-3
    assert 0.0 < box["q_at"] < 1.0


def test_stop_mid_step_abandons_the_plan_and_says_what_was_left(tmp_path):
    box: dict = {}

    def respond(inp):
        if inp.running is None:
            return PlannerTurn(steps=[step(1.0), step(0.0)])
        return PlannerTurn(control="stop", say="Stopping.")

    s, _ = make(tmp_path, respond, on_tick=_interject_at(0.2, "stop!", box))
    box["session"] = s
    r = s.say("move it")
    s.close()
    assert r.outcome == "stopped"
    assert [x["status"] for x in r.steps] == ["cancelled"]
    (line,) = [t for t in r.said if "Left undone" in t]
    # each step named once: the running one is not also counted among those not started
    assert line.count(step(1.0).instruction) == 1 and line.count(step(0.0).instruction) == 1, line
    q_stop = s.robot.q[0]
    assert 0.0 < q_stop < 1.0, "the arm stopped where it was"
    assert s.executor.current.rest_at is not None


def test_while_a_step_runs_the_planner_sees_it_once_and_an_addition_keeps_it(tmp_path):
    """Running and pending are separate in the planner's input (the running step is not also
    listed as pending), and a turn that adds steps without preempting leaves the running step
    to finish and then runs the whole remaining plan it returned."""
    box: dict = {}
    seen: list = []

    def respond(inp):
        if inp.running is None:
            return PlannerTurn(steps=[step(1.0), step(0.0)])
        seen.append((inp.running, list(inp.pending)))
        return PlannerTurn(say="And then that too.", steps=[step(0.0), step(-0.5)])

    s, _ = make(tmp_path, respond, on_tick=_interject_at(0.2, "and then go to minus a half", box))
    box["session"] = s
    r = s.say("move it")
    s.close()
    assert seen == [(step(1.0), [step(0.0)])]
    assert [x["step"]["args"]["to"] for x in r.steps] == [1.0, 0.0, -0.5]
    assert all(x["status"] == "success" for x in r.steps)
    assert abs(s.robot.q[0] + 0.5) < 1e-3


def test_a_failing_step_is_retried_once(tmp_path):
    Flaky.runs = 0
    Flaky.fail_times = 1
    s, _ = make(tmp_path, lambda inp: PlannerTurn(steps=[step(0.4, skill="flaky")]), Flaky)
    r = s.say("move it")
    s.close()
    assert [x["status"] for x in r.steps] == ["failure", "success"]
    cues = [e for e in logged(s) if isinstance(e, ev.Cue)]
    assert cues and cues[0].detail["reason"] == "the object slipped" and cues[0].action == "retry"


def test_twice_failing_step_is_replanned_then_given_up(tmp_path):
    Flaky.runs = 0
    Flaky.fail_times = 10
    s, planner = make(tmp_path, lambda inp: PlannerTurn(steps=[step(0.4, skill="flaky")]), Flaky)
    r = s.say("move it")
    s.close()
    # try, retry, replan (same step again), its retry: then the step is given up, not looped on.
    assert [x["status"] for x in r.steps] == ["failure"] * 4
    assert len(planner.inputs) == 2 and planner.inputs[1].utterance == "move it"
    assert r.outcome == "partly done"


def test_a_step_whose_effect_does_not_hold_counts_as_failed(tmp_path):
    def respond(inp):
        from agent.schema import PlanStep
        return PlannerTurn(steps=[PlanStep(skill="move", args={"object": "red cup", "to": 0.2},
                                           instruction="move")])

    import agent.dispatch as dispatch
    orig = dispatch.expected_effect
    dispatch.expected_effect = lambda st: ["in(red cup, bin)"]
    try:
        s, _ = make(tmp_path, respond, holds=lambda p: False)
        r = s.say("move it")
        s.close()
    finally:
        dispatch.expected_effect = orig
    assert r.steps[0]["status"] == "failure"
    assert "in(red cup, bin)" in r.steps[0]["reason"]


def test_unchecked_planner_output_never_reaches_the_robot(tmp_path):
    from agent.schema import PlanStep

    bad = [PlannerTurn(steps=[PlanStep(skill="teleport", args={})]),
           PlannerTurn(steps=[PlanStep(skill="move", args={"object": "banana", "to": 1.0})]),
           PlannerTurn(steps=[PlanStep(skill="move", args={"object": "red cup", "to": "far"})])]
    for i, turn in enumerate(bad):
        s, _ = make(tmp_path / str(i), lambda inp, t=turn: t)
        r = s.say("do it")
        s.close()
        assert r.steps == [] and r.outcome == "refused"
        assert s.robot.q[0] == 0.0
        errors = [e.message for e in logged(s) if isinstance(e, ev.ErrorEvent)]
        assert errors and "rejected" in errors[0]


def test_a_planner_that_raises_is_a_clear_message_not_a_crash(tmp_path):
    def respond(inp):
        raise RuntimeError("model server on fire")

    s, _ = make(tmp_path, respond)
    r = s.say("do it")
    s.close()
    assert r.steps == []
    assert any("could not work out a plan" in t for t in r.said)
    assert any("model server on fire" in e.message for e in logged(s) if isinstance(e, ev.ErrorEvent))


def test_notes_persist_into_later_turns_and_user_notes_into_later_sessions(tmp_path):
    def respond(inp):
        if inp.utterance.startswith("from now on"):
            return PlannerTurn(say="Okay.", notes=[Note(text="cups go on the tray", scope="user"),
                                                   Note(text="be gentle with the cups", scope="session")])
        return PlannerTurn(say="notes: " + ", ".join(n.text for n in inp.notes))

    s, planner = make(tmp_path, respond)
    s.say("from now on cups go on the tray")
    r = s.say("what do you know")
    s.close()
    assert r.said == ["notes: cups go on the tray, be gentle with the cups"]
    s2, planner2 = make(tmp_path, respond)
    r2 = s2.say("what do you know")
    s2.close()
    assert r2.said == ["notes: cups go on the tray"], "only user-scoped notes outlive the session"


def test_a_torn_last_line_of_the_log_is_skipped(tmp_path):
    s, _ = make(tmp_path, lambda inp: PlannerTurn(steps=[step(0.2)]))
    s.say("go")
    s.close()
    path = s.dir / "events.jsonl"
    n = len(logged(s))
    with open(path, "a") as f:
        f.write('{"type": "step_started", "ind')
    assert len(list(read_events(path))) == n
