"""Scenarios end to end in text mode: the simulated world, the rules planner, the graph, the
executor and the predicates, exactly as `hirobot eval --text` runs them."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.config import SessionConfig
from agent.evaluate import run_scenario
from sim.scenario import load_scenarios

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = ROOT.parent / "shared" / "eval" / "public.jsonl"
PARAPHRASED = Path(__file__).resolve().parent / "scenarios" / "paraphrased.jsonl"
HARDENING = Path(__file__).resolve().parent / "scenarios" / "hardening.jsonl"
GENERALIZATION = Path(__file__).resolve().parent / "scenarios" / "generalization.jsonl"
UNSEEN = Path(__file__).resolve().parent / "scenarios" / "unseen.jsonl"


def _cases(path: Path):
    if not path.exists():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"{path} is not here"))]
    return [pytest.param(sc, id=sc.id) for sc in load_scenarios(path)]


def _run(sc, tmp_path):
    r = run_scenario(sc, SessionConfig(home=tmp_path))
    assert r.success, f"{sc.id}: {'; '.join(r.problems)}"
    return r


@pytest.mark.parametrize("scenario", _cases(PUBLIC))
def test_public_scenario(scenario, tmp_path):
    _run(scenario, tmp_path)


@pytest.mark.parametrize("scenario", _cases(PARAPHRASED))
def test_paraphrased_scenario(scenario, tmp_path):
    """Same capabilities, other words, kinds and colours than the public file."""
    _run(scenario, tmp_path)


@pytest.mark.parametrize("scenario", _cases(HARDENING))
def test_hardening_scenario(scenario, tmp_path):
    """Every tag again in looser, everyday wording: polite forms, categories, counts, corrections,
    preferences and references."""
    _run(scenario, tmp_path)


@pytest.mark.parametrize("scenario", _cases(GENERALIZATION))
def test_generalization_scenario(scenario, tmp_path):
    """Wording, kinds, colours and sentence shapes found in none of the other scenario files:
    multi-sentence jobs, answers that contrast two candidates, terse corrections and standing rules."""
    _run(scenario, tmp_path)


@pytest.mark.parametrize("scenario", _cases(UNSEEN))
def test_unseen_scenario(scenario, tmp_path):
    """Every tag once more in wording none of the files above uses: requests said as wishes and
    questions, ordinals and landmarks, "closest to me", "there", what is on the tray, one-off
    "belongs", corrections later in the same sentence, "skip the white one", "back to it"."""
    _run(scenario, tmp_path)


def test_report_counts_questions_steps_and_failed_predicates(tmp_path):
    (sc,) = [s for s in load_scenarios(PUBLIC) if s.id == "ask-001"] if PUBLIC.exists() else [None]
    if sc is None:
        pytest.skip("public scenarios are not here")
    r = _run(sc, tmp_path)
    assert r.questions == 1 and r.steps == 1 and r.failed_predicates == []
    # The same scenario judged against an expectation it does not meet fails, naming the predicate.
    wrong = sc.model_copy(update={"expect": sc.expect.model_copy(update={"holds": ["in(red cup, bin)"]})})
    r2 = run_scenario(wrong, SessionConfig(home=tmp_path / "2"))
    assert not r2.success and r2.failed_predicates == ["in(red cup, bin)"]


def _feedback_cases():
    if not PUBLIC.exists():
        return [pytest.param(None, marks=pytest.mark.skip(reason="public scenarios are not here"))]
    return [pytest.param(sc, id=sc.id) for sc in load_scenarios(PUBLIC) if "feedback" in sc.tags]


@pytest.mark.parametrize("scenario", _feedback_cases())
def test_feedback_scenario_seen_through_the_cameras(scenario, tmp_path):
    """The slipped grasp and the object a person moved, with steps checked from the cameras
    (`--perception vision`) instead of the simulator's own state."""
    r = run_scenario(scenario, SessionConfig(home=tmp_path, perception="vision"))
    assert r.success, f"{scenario.id}: {'; '.join(r.problems)}"


def test_a_scenario_that_ends_with_the_robot_paused_is_judged_not_waited_on(tmp_path):
    """The last turn pauses the arm and nobody says "go on": the evaluation ends the session
    and judges the world as it stands instead of waiting for ever."""
    import json
    import threading

    from sim.scenario import Scenario

    sc = Scenario.model_validate(json.loads(
        '{"id": "left-paused", "tags": ["interject", "stop"], "scene": {"objects": ['
        '{"name": "red block", "kind": "block", "color": "red"}, {"name": "green block", "kind": "block", '
        '"color": "green"}, {"name": "basket", "kind": "basket", "at": "right"}], "seed": 5}, '
        '"turns": [{"say": "Put both blocks in the basket."}, {"say": "Hold on.", "when": "moving"}], '
        '"expect": {"holds": ["!in(red block, basket)", "!in(green block, basket)"], "halted": true}}'))
    box = {}
    th = threading.Thread(target=lambda: box.setdefault("r", run_scenario(sc, SessionConfig(home=tmp_path))),
                          daemon=True)
    th.start()
    th.join(120)
    assert not th.is_alive(), "the evaluation kept waiting on a paused robot"
    r = box["r"]
    assert r.success and r.halted, r.problems
