"""Every failure shows in the exit status and the event log: a planner that fails, a request
refused, a step started early from a stream whose tail turned out to be garbage."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.config import SessionConfig
from agent.eventlog import read_events
from agent.schema import PlannerTurn
from agent.session import Session
from sim.scenario import SceneSpec
from tests.graph_doubles import FixedPerception, ScriptedPlanner, registry, step
from tests.kinematic_arm import KinematicArm

runner = CliRunner()


def _scene(tmp_path):
    p = tmp_path / "scene.json"
    p.write_text(json.dumps({"objects": [{"name": "red cup", "kind": "cup", "color": "red"},
                                         {"name": "bin", "kind": "bin", "at": "right"}], "seed": 1}))
    return p


def test_do_with_a_planner_that_cannot_be_reached_exits_non_zero_with_the_reason(home, tmp_path):
    config = tmp_path / "hirobot.toml"
    config.write_text('planner = "openai"\n[openai]\nbase_url = "http://127.0.0.1:9/v1"\nmodel = "m"\n'
                      'fallback = "none"\nmax_retries = 0\nconnect_timeout_s = 0.5\n')
    r = runner.invoke(app, ["do", "put the red cup in the bin", "--scene", str(_scene(tmp_path)),
                            "--config", str(config)])
    assert r.exit_code == 1, r.output
    assert "planner failed" in r.output
    assert "done:" not in r.output.lower().replace("not done", "")


def test_a_refused_request_exits_non_zero(home, tmp_path):
    r = runner.invoke(app, ["do", "put the banana in the bin", "--scene", str(_scene(tmp_path))])
    assert r.exit_code == 1
    assert "refused" in r.output and "banana" in r.output


class Broken(Exception):
    pass


def test_a_planner_failure_ends_the_job_as_failed_not_done(tmp_path):
    def respond(inp):
        raise Broken("the server closed the connection")

    s = Session(SceneSpec(objects=[]),
                SessionConfig(home=tmp_path), robot=KinematicArm(), planner=ScriptedPlanner(respond),
                registry=registry(), perception=FixedPerception())
    r = s.say("move it")
    s.close()
    assert r.outcome == "planner failed"
    assert any("the server closed the connection" in e for e in r.errors)


class GarbageTail:
    """Streams a good first step, then the rest of the answer does not parse."""

    name = "streaming"

    def plan(self, inp, on_step=None, cancel=None):
        if on_step is not None:
            on_step(step(2.0))
        raise Broken("unexpected end of JSON after step 1")


def test_a_step_started_early_and_then_abandoned_logs_its_end(tmp_path):
    s = Session(SceneSpec(objects=[]), SessionConfig(home=tmp_path, realtime=True), robot=KinematicArm(max_speed=0.5),
                planner=GarbageTail(), registry=registry(), perception=FixedPerception())
    r = s.say("move it far")
    s.close()
    events = list(read_events(s.dir / "events.jsonl"))
    started = [e.index for e in events if e.type == "step_started"]
    finished = [(e.index, e.status) for e in events if e.type == "step_finished"]
    assert started == [1], "the first streamed step was started early"
    assert finished == [(1, "cancelled")], "and its end is in the log"
    assert r.outcome == "planner failed"


def _killed_while_asking(question):
    raise Broken("the process ended while the question was open")


def test_resume_of_a_job_left_unfinished_exits_non_zero(home, tmp_path):
    # A session whose checkpoint waits at a question: resuming with no answer to give ends the
    # job unfinished, and the exit status says so.
    s = Session(SceneSpec(objects=[]),
                SessionConfig(home=home), session_id="asks", robot=KinematicArm(),
                planner=ScriptedPlanner(lambda inp: PlannerTurn(question="which one?")),
                registry=registry(), perception=FixedPerception())
    with pytest.raises(Broken):
        s.say("move it", answer=_killed_while_asking)
    assert s.unfinished()
    s.close()
    r = runner.invoke(app, ["resume", "asks", "--no-input"])
    assert r.exit_code == 1, r.output


def test_eval_does_not_count_a_failed_planner_as_a_refusal(tmp_path):
    from agent.evaluate import run_scenario
    from sim.scenario import parse_scenario_line

    sc = parse_scenario_line(json.dumps({
        "id": "refuse", "scene": {"objects": [{"name": "red cup", "kind": "cup", "color": "red"}]},
        "turns": [{"say": "put the banana in the bin"}], "expect": {"refuses": True}}))
    cfg = SessionConfig(home=tmp_path, planner="openai",
                        openai={"base_url": "http://127.0.0.1:9/v1", "model": "m", "fallback": "none",
                                "max_retries": 0, "connect_timeout_s": 0.5})
    r = run_scenario(sc, cfg)
    assert not r.success
    assert r.error and "planner failed" in r.error
