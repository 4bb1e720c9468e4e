"""The hybrid planner: the rules parser answers what it fully understands, the model the rest,
under the same checks; and the evaluation's per-turn report of who answered."""

from __future__ import annotations

import json
import socket

from agent.config import SessionConfig
from agent.evaluate import run_scenario
from agent.planners.base import NotUnderstood
from agent.planners.hybrid import HybridPlanner
from agent.planners.report import fallback_problems, summarize_turns, turn_record
from agent.schema import PlannerTurn, PlanStep
from sim.scenario import Scenario
from tests.planner_fixtures import BLOCK_TO_TRAY, RED_TO_BIN, planner_input, registry


class RulesDouble:
    """Stands in for the rules parser in hand-over mode until the real one has it: it
    understands "red cup" requests and hands over everything else."""

    name = "rules"

    def __init__(self, turn: PlannerTurn | None = None):
        self.turn = turn or PlannerTurn(say="Red cup to the bin.", steps=[RED_TO_BIN])
        self.calls = 0

    def plan(self, inp, on_step=None, cancel=None):
        self.calls += 1
        if "red cup" not in inp.utterance:
            raise NotUnderstood(f"no rule reads {inp.utterance!r}")
        return self.turn


class ModelDouble:
    name = "local"

    def __init__(self):
        self.calls = 0
        self.last_metrics = {}

    def plan(self, inp, on_step=None, cancel=None):
        self.calls += 1
        if on_step is not None:
            on_step(BLOCK_TO_TRAY)
        self.last_metrics = {"planner": "local", "fallback": None, "tokens_in": 3400, "cached_tokens": 3100,
                             "tokens_out": 60, "latency_first_token_s": 1.0, "latency_first_step_s": 2.0,
                             "latency_total_s": 3.0}
        return PlannerTurn(say="Block to the tray.", steps=[BLOCK_TO_TRAY])


def _hybrid(rules=None, model=None, factory_error=None):
    built = []

    def factory():
        if factory_error:
            raise factory_error
        built.append(model or ModelDouble())
        return built[-1]

    return HybridPlanner(rules or RulesDouble(), factory, registry(), rules_alone=None), built


def test_understood_turns_are_answered_by_rules_and_the_model_is_never_built():
    h, built = _hybrid()
    got: list[PlanStep] = []
    turn = h.plan(planner_input("Put the red cup in the bin."), on_step=got.append)
    assert turn.steps == [RED_TO_BIN] and got == [RED_TO_BIN]
    assert built == [] and h.last_metrics["planner"] == "rules" and h.last_metrics["handover"] is None


def test_what_rules_do_not_understand_goes_to_the_model_and_is_recorded():
    h, built = _hybrid()
    got: list[PlanStep] = []
    turn = h.plan(planner_input("Whenever you see a block, it goes on the tray."), on_step=got.append)
    assert turn.steps == [BLOCK_TO_TRAY] and got == [BLOCK_TO_TRAY]
    (model,) = built
    assert model.calls == 1
    m = h.last_metrics
    assert m["planner"] == "local" and m["via"] == "hybrid" and "no rule reads" in m["handover"]
    assert m["cached_tokens"] == 3100


def test_a_rules_answer_that_fails_the_checks_is_handed_over_too():
    bad = PlannerTurn(say="?", question="Which one?", refused=True)  # contradictory
    h, built = _hybrid(rules=RulesDouble(bad))
    turn = h.plan(planner_input("Put the red cup in the bin."))
    assert turn.steps == [BLOCK_TO_TRAY] and len(built) == 1
    assert "failed its checks" in h.last_metrics["handover"]


def test_no_model_to_be_had_is_said_once_and_the_turn_still_answered():
    h, _ = _hybrid(factory_error=FileNotFoundError("no model file"))
    first = h.plan(planner_input("Stack the blocks."))
    second = h.plan(planner_input("Stack the blocks, please."))
    assert first.question and "no planning model" in first.say
    assert second.question and "no planning model" not in second.say
    assert h.last_metrics["fallback"] == "rules" and "make local-model" in h.last_metrics["advice"]


def test_report_counts_fallbacks_as_failures_only_under_a_model_planner():
    ok = turn_record("openai", "a", {"planner": "openai", "fallback": None, "tokens_in": 100, "cached_tokens": 90,
                                     "latency_total_s": 2.0})
    fell = turn_record("openai", "b", {"planner": "openai", "fallback": "rules", "faults": ["timeout: slow"]})
    assert fell["answered_by"] == "rules (fallback)"
    assert fallback_problems([ok, fell], "openai") == [
        "turn 2: the openai planner fell back to rules (timeout: slow); pass --allow-fallback to count such turns"]
    assert fallback_problems([ok, fell], "hybrid") == []
    s = summarize_turns([ok, fell])
    assert s["fallbacks"] == 1 and s["model_turn_s_cached"]["n"] == 1 and s["answered_by"]["openai"] == 1


def _dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/v1"


def test_eval_fails_a_turn_the_model_did_not_answer_unless_fallback_is_allowed(tmp_path):
    sc = Scenario.model_validate(json.loads(
        '{"id": "put-x", "tags": ["single-step"], "scene": {"objects": [{"name": "red cup", "kind": "cup", '
        '"color": "red"}, {"name": "bin", "kind": "bin", "at": "right"}], "seed": 0}, '
        '"turns": [{"say": "Put the red cup in the bin."}], "expect": {"holds": ["in(red cup, bin)"]}}'))
    cfg = SessionConfig(home=tmp_path, planner="openai",
                        openai={"base_url": _dead_url(), "max_retries": 0, "fallback": "rules"})
    strict = run_scenario(sc, cfg)
    assert not strict.success and any("--allow-fallback" in p for p in strict.problems), strict.problems
    (turn,) = strict.planner_turns
    assert turn["answered_by"] == "rules (fallback)" and turn["faults"][0].startswith("connect")
    allowed = run_scenario(sc, cfg, allow_fallback=True)
    assert allowed.success, allowed.problems


def test_with_the_real_rules_parser_only_what_it_does_not_understand_reaches_the_model():
    from agent.planners.hybrid import rules_planner

    model = ModelDouble()
    h = HybridPlanner(rules_planner(registry(), handover=True), lambda: model, registry())
    answered = h.plan(planner_input("Put the red cup in the bin."))
    assert answered.steps == [RED_TO_BIN] and model.calls == 0 and h.last_metrics["planner"] == "rules"
    asked = h.plan(planner_input("Put the cup in the bin."))  # a question the scene bears out: two cups
    assert asked.question and model.calls == 0
    handed = h.plan(planner_input("Kindly yeet the red cup toward the bin."))
    assert handed.steps == [BLOCK_TO_TRAY] and model.calls == 1
    assert "yeet" in h.last_metrics["handover"] and h.last_metrics["planner"] == "local"


def test_the_hybrid_default_without_a_model_configured_is_the_rules_parser(monkeypatch, tmp_path):
    from agent.planners.factory import make_planner

    monkeypatch.setenv("HIROBOT_HYBRID_MODEL", "none")
    p = make_planner(SessionConfig(home=tmp_path), registry())
    assert p.name == "rules" and p.handover is False
    monkeypatch.setenv("HIROBOT_HYBRID_MODEL", "local")
    h = make_planner(SessionConfig(home=tmp_path, local={"model_path": str(tmp_path / "missing.gguf")}), registry())
    assert h.name == "hybrid"
    turn = h.plan(planner_input("Kindly yeet the red cup toward the bin."))  # the model file is missing
    assert "no planning model" in turn.say and "missing.gguf" in h.last_metrics["faults"][0]


def test_planner_local_with_no_model_file_is_one_line(tmp_path):
    from typer.testing import CliRunner

    from agent.cli import app

    r = CliRunner().invoke(app, ["do", "put the red cup in the bin", "--planner", "local",
                                 "--model-path", str(tmp_path / "none.gguf")], env={"HIROBOT_HOME": str(tmp_path)})
    assert r.exit_code == 2 and "make local-model" in r.output and "Traceback" not in r.output


def test_eval_reads_the_config_file_and_reports_each_turn(tmp_path):
    from pathlib import Path

    from typer.testing import CliRunner

    from agent.cli import app

    scenarios = tmp_path / "one.jsonl"
    scenarios.write_text(
        '{"id": "put-x", "tags": ["single-step"], "scene": {"objects": [{"name": "red cup", "kind": "cup", '
        '"color": "red"}, {"name": "bin", "kind": "bin", "at": "right"}], "seed": 0}, '
        '"turns": [{"say": "Put the red cup in the bin."}], "expect": {"holds": ["in(red cup, bin)"]}}\n')
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text('planner = "rules"\n')
    other = tmp_path / "other.toml"
    other.write_text('planner = "hybrid"\nhybrid_model = "none"\n')
    runner = CliRunner()
    for args, want in (([], "rules"), (["--config", str(other)], "hybrid")):
        report = tmp_path / f"{want}.json"
        r = runner.invoke(app, ["eval", str(scenarios), "--report", str(report), *args], env={"HIROBOT_HOME": str(home)})
        assert r.exit_code == 0, r.output
        out = json.loads(Path(report).read_text())
        assert out["planner"] == want
        (turn,) = out["scenarios"][0]["planner_turns"]
        assert turn["answered_by"] == "rules" and turn["latency_total_s"] is not None
        assert "planner: by rules" in r.output and "1 turns answered by {'rules': 1}" in r.output
