"""What each kind is (container, surface, lifted or not) and the relation it takes come from one
module, sim/kinds.py; the simulator's skills, perception, the scenario format and the rules
planner all agree with it."""

from __future__ import annotations

import pytest

import sim.kinds as kinds
from agent.planners.rules import lexicon
from agent.planners.rules.world import concrete_relation, placement_problem
from sim import predicates, scenario
from tests.test_rules_planner_support import Session, obj, scene


def test_every_scenario_kind_has_one_description():
    assert set(scenario.KINDS) == set(kinds.KINDS)
    # The scenario format, the predicates and the rules planner's lexicon read the same sets.
    assert scenario.CONTAINERS is kinds.CONTAINERS and lexicon.CONTAINERS is kinds.CONTAINERS
    assert scenario.SURFACES is kinds.SURFACES and lexicon.SURFACES is kinds.SURFACES
    assert lexicon.FIXED_KINDS is kinds.FIXED_KINDS and predicates.CONTAINERS is kinds.CONTAINERS


@pytest.mark.parametrize("kind, relation", [("bin", "in"), ("basket", "in"), ("bowl", "in"), ("tray", "on"),
                                            ("plate", "on"), ("block", "on"), ("cup", None), ("can", None)])
def test_the_relation_each_kind_takes(kind, relation):
    assert kinds.relation_for(kind) == relation
    info = kinds.kind_info(kind)
    assert info.is_container == (relation == "in") and info.is_surface == (relation == "on")


@pytest.mark.parametrize("kind", sorted(kinds.KINDS))
def test_the_rules_planner_places_by_the_kind_table(kind):
    target = scene(obj("it", kind, "red"))[0]
    mug = scene(obj("mug", "cup", "blue", pos=(0.3, 0.3)))[0]
    # "Put the mug to the <kind>": in a container, on a surface, beside anything else.
    expected = kinds.relation_for(kind) or "near"
    assert concrete_relation("to", target) == expected
    if kinds.relation_for(kind) != "in":
        assert placement_problem(mug, "in", target) is not None
    if kinds.relation_for(kind) != "on" and kind != "bowl":
        assert placement_problem(mug, "on", target) is not None


def test_a_tray_takes_on_and_a_bowl_takes_in_end_to_end():
    s = Session(scene(obj("red cup", "cup", "red"), obj("tray", "tray", at="left"), obj("green block", "block", "green"),
                      obj("blue bowl", "bowl", "blue")))
    turn = s.say("Put the red cup in the tray and the green block into the blue bowl.")
    assert [(st.args["object"], st.args["relation"], st.args["target"]) for st in turn.steps] == [
        ("red cup", "on", "tray"), ("green block", "in", "blue bowl")]


def test_the_facts_a_prompt_states_follow_the_table():
    facts = {f["kind"]: f for f in kinds.kind_facts()}
    assert facts["tray"]["holds"] == "on" and facts["tray"]["surface"] and not facts["tray"]["container"]
    assert facts["bowl"]["holds"] == "in" and facts["bowl"]["graspable"]
    text = kinds.describe_kinds()
    assert "tray: a surface; things go on it" in text and "bowl: a container; things go in it" in text
