"""Speech-recognition slips are repaired in one place (agent/planners/rules/readings.py): when
the words as heard cannot be done, the cheapest other reading the planner can carry out in full
is taken; a word is replaced only by the one scene word that sounds like it."""

from __future__ import annotations

import pytest

from agent.planners.base import NotUnderstood
from agent.planners.rules import RulesPlanner
from agent.planners.rules.handover import known_word
from agent.planners.rules.readings import Reading, other_readings, words_respelled
from tests.test_rules_planner_support import Session, obj, scene

TABLE = [obj("red cup", "cup", "red"), obj("blue block", "block", "blue"), obj("green bowl", "bowl", "green"),
         obj("basket", "basket", at="left"), obj("tray", "tray", at="right")]


def _steps(text: str, handover: bool = False) -> list[tuple[str, str, str]]:
    s = Session(scene(*TABLE), planner=RulesPlanner(handover=handover))
    turn = s.say(text)
    return [(st.args["object"], st.args["relation"], st.args["target"]) for st in turn.steps]


@pytest.mark.parametrize("heard, meant", [
    ("put the red cap in the basket", ("red cup", "in", "basket")),       # a thing's word
    ("put the blue block in the bowel", ("blue block", "in", "green bowl")),  # a place's word
    ("put the red cup on the trey", ("red cup", "on", "tray")),
    ("put the blue block and to the basket", ("blue block", "in", "basket")),  # "into" split
    ("put the red top in the basket", ("red cup", "in", "basket")),  # a known word after a colour
])
def test_a_slip_is_read_as_the_scene_word_it_sounds_like(heard, meant):
    assert _steps(heard) == [meant]
    assert _steps(heard, handover=True) == [meant]


@pytest.mark.parametrize("heard, meant", [
    ("Place the blue block, and do the green bowl.", [("blue block", "in", "green bowl")]),
    ("Set the red cup, and do the tray.", [("red cup", "on", "tray")]),  # the place picks "onto"
    ("Clear the table and do the basket.", [("red cup", "in", "basket"), ("blue block", "in", "basket")]),
])
def test_two_short_words_before_a_place_are_read_as_the_relation_they_sound_like(heard, meant):
    """"and do the bowl" is "into the bowl" said quickly; the place decides between "into" and
    "onto". "Clear the table and do the basket" otherwise plans nothing (an empty basket)."""
    assert _steps(heard) == meant
    assert _steps(heard, handover=True) == meant


def test_words_the_scene_cannot_explain_are_left_alone():
    scene_objects = scene(*TABLE)
    assert words_respelled("put the red cup in the garden", scene_objects, known_word) is None
    assert words_respelled("put the red cup in the basket", scene_objects, known_word) is None


def test_two_equally_near_places_leave_it_as_heard():
    # "bowel" sounds like a bowl, and there are two bowls: no guess between them.
    objs = scene(obj("red cup", "cup", "red"), obj("green bowl", "bowl", "green"), obj("white bowl", "bowl", "white"))
    assert words_respelled("put the red cup in the bowel", objs, known_word) is None
    s = Session(objs)
    turn = s.say("put the red cup in the bowel")
    assert not turn.steps


def test_readings_are_ordered_by_cost_and_the_heard_text_is_not_among_them():
    objs = scene(*TABLE)
    rs = other_readings("put the red cap, and the basket", objs, known_word)
    assert rs == sorted(rs) and all(isinstance(r, Reading) for r in rs)
    assert "put the red cap, and the basket" not in [r.text for r in rs]


def test_a_reading_that_is_only_a_guess_is_handed_over_not_acted_on():
    # A colour that fits and a word that fits nothing: with a model behind, the turn goes to it.
    s = Session(scene(*TABLE), planner=RulesPlanner(handover=True))
    with pytest.raises(NotUnderstood):
        s.say("put the blue blog on the tray")
    # Without one, the rules say what they did not see, and do nothing.
    s = Session(scene(*TABLE))
    turn = s.say("put the blue blog on the tray")
    assert turn.refused and not turn.steps


@pytest.mark.parametrize("heard, meant", [
    ("move the cupon the tray please", ("red cup", "on", "tray")),    # "cup on"
    ("put the blockin the basket", ("blue block", "in", "basket")),    # "block in"
])
def test_a_scene_word_run_together_with_the_next_is_read_as_the_two(heard, meant):
    assert _steps(heard) == [meant]
    assert _steps(heard, handover=True) == [meant]


BLOCKS = [obj("white block", "block", "white"), obj("black block", "block", "black"),
          obj("orange block", "block", "orange")]


@pytest.mark.parametrize("heard", [
    "Stack the blocks with the orange one on the bottom. The white one in the middle, and the black one on top.",
    "Stack the blocks with the orange one at the bottom, the white one in the middle. And the black one on top.",
])
def test_a_full_stop_where_the_speaker_paused_is_read_as_a_pause(heard):
    for handover in (False, True):
        s = Session(scene(*BLOCKS), planner=RulesPlanner(handover=handover))
        turn = s.say(heard)
        assert [(st.args["object"], st.args["target"]) for st in turn.steps] == [
            ("white block", "orange block"), ("black block", "white block")]


def test_a_full_stop_between_two_requests_stays_one():
    """Both sentences stand on their own: the words as heard are done and no pause is read."""
    assert _steps("Put the red cup in the basket. Put the blue block on the tray.") == [
        ("red cup", "in", "basket"), ("blue block", "on", "tray")]


def test_a_comma_after_a_title_is_read_as_the_colon_it_was_said_as():
    s = Session(scene(*TABLE), planner=RulesPlanner(handover=True))
    turn = s.say("Two things, the red cup goes in the basket. And the blue block goes on the tray.")
    assert [(st.args["object"], st.args["relation"], st.args["target"]) for st in turn.steps] == [
        ("red cup", "in", "basket"), ("blue block", "on", "tray")]


@pytest.mark.parametrize("heard", ["Well, actually, the basket.", "Put the ric up on the tray, then the bowl."])
def test_only_a_title_made_of_names_gets_a_colon(heard):
    assert not [r for r in other_readings(heard, scene(*TABLE), known_word) if ":" in r.text]


def test_an_answer_heard_with_a_sound_alike_is_read_as_the_scene_word():
    for handover in (False, True):
        s = Session(scene(obj("purple cup", "cup", "purple"), obj("tray", "tray", at="left"),
                          obj("basket", "basket", at="right")), planner=RulesPlanner(handover=handover))
        assert s.say("Clear away the purple cup.").question
        turn = s.say("The tree is fine.")
        assert [(st.args["object"], st.args["relation"], st.args["target"]) for st in turn.steps] == [
            ("purple cup", "on", "tray")]
