"""The prompt and its worked examples say what the simulator does: what each kind is and the
relation it takes come from the one knowledge module, and every example's answer is a valid turn
for its own scene."""

from __future__ import annotations

import pytest

import prompts
from agent.planners.prompting import example_object, object_line, relation_for, system_prompt
from agent.planners.turn_check import check_turn
from agent.schema import PlannerTurn, SkillInfo
from sim.kinds import KINDS
from sim.scenario import CONTAINERS, SURFACES
from skills.registry import load_registry

EXAMPLES = prompts.examples()


def test_relations_follow_the_knowledge_module():
    for kind in KINDS:
        want = "in" if kind in CONTAINERS else "on" if kind in SURFACES else None
        assert relation_for(kind) == want
    assert relation_for("tray") == "on" and relation_for("plate") == "on" and relation_for("bowl") == "in"


@pytest.mark.parametrize("ex", EXAMPLES, ids=[e["title"][:40] for e in EXAMPLES])
def test_each_example_uses_the_relation_its_target_takes_and_checks_out(ex):
    scene = [example_object(c["object"]) for c in ex["context"] if isinstance(c, dict)]
    kinds = {o.name: o.kind for o in scene}
    turn = PlannerTurn.model_validate(ex["turn"])
    for step in turn.steps:
        target = step.args.get("target")
        if step.args.get("relation") in ("in", "on") and target in kinds:
            assert step.args["relation"] == relation_for(kinds[target]), (ex["title"], step)
    running = [c for c in ex["context"] if isinstance(c, str) and c.startswith("Running now:")]
    from agent.schema import PlannerInput, PlanStep

    inp = PlannerInput(utterance=ex["utterance"], scene=scene,
                       running=PlanStep(skill="home", args={}) if running else None)
    assert check_turn(turn, load_registry(), scene, inp) == [], ex["title"]


def test_the_system_prompt_calls_no_surface_a_container():
    reg = load_registry()
    text = system_prompt([SkillInfo.model_validate(e) for e in reg.catalogue()])
    for line in text.splitlines():
        for kind in SURFACES - CONTAINERS:
            if line.startswith(f"- {kind}:") or f": {kind} at" in line or f" {kind} at" in line:
                assert "container" not in line, line
    tray = next(line for line in text.splitlines() if " tray at " in line)
    assert "surface: things go on it" in tray
    assert object_line(example_object({"name": "b", "kind": "bowl", "pos": [0.4, 0.0, 0.03]})).endswith(
        "container: things go in it")
