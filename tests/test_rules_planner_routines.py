"""Routines: "when I say X, ..." and "whenever you X, ..." teach a phrase that stands for a job;
the job is remembered, not done, and done when the phrase is said. "When you have ..., ..." is
a time order, not a routine."""

from __future__ import annotations

import pytest

from agent.planners.rules import lexicon as lx
from agent.planners.rules.routines import read_routine
from tests.test_rules_planner_support import Session, obj, scene


def _table() -> Session:
    return Session(scene(obj("fork", "fork", "black"), obj("green can", "can", "green"), obj("tray", "tray", at="left"),
                         obj("bin", "bin", at="right")))


def _steps(turn) -> list[tuple[str, str]]:
    return [(st.args["object"], st.args["target"]) for st in turn.steps]


@pytest.mark.parametrize("teach, say", [
    ("Whenever you clear up, the forks go on the tray and the cans go in the bin.", "Clear up."),
    ("Every time you do the dishes, put the fork on the tray and the can in the bin.", "Do the dishes please."),
    ("Each time I ask for a clean table, put the fork on the tray and the can in the bin.", "A clean table, please."),
])
def test_a_routine_is_remembered_then_done_when_its_phrase_is_said(teach, say):
    s = _table()
    taught = s.say(teach)
    assert taught.notes and not taught.steps and not taught.refused
    done = s.say(say)
    assert sorted(_steps(done)) == [("fork", "tray"), ("green can", "bin")]


def test_when_you_have_done_something_is_a_time_order_not_a_routine():
    s = _table()
    turn = s.say("When you have put the can in the bin, put the fork on the tray.")
    assert not turn.notes and _steps(turn) == [("green can", "bin"), ("fork", "tray")]


@pytest.mark.parametrize("asked", lx.ROUTINE_ASKED)
def test_every_way_of_naming_the_phrase(asked):
    r = read_routine(f"when {asked} lunch, put the fork on the tray")
    assert r is not None and r.form == "said" and r.rest == "lunch, put the fork on the tray"


def test_means():
    r = read_routine("lunch time means the fork goes on the tray")
    assert r is not None and (r.form, r.phrase, r.rest) == ("means", "lunch time", "the fork goes on the tray")
    assert read_routine("put the fork on the tray") is None
    assert read_routine("when you are done, put the fork on the tray") is None


def test_a_routine_said_in_two_sentences_is_one_routine():
    # A recognizer puts a full stop where the speaker paused after the phrase.
    s = Session(scene(obj("fork", "fork"), obj("plate", "plate"), obj("green cup", "cup", "green")))
    turn = s.say("When I say, lay the places. The fork goes to the right of the plate.")
    assert not turn.steps and not turn.question and turn.notes
    turn = s.say("Lay the places.")
    s.run()
    assert s.holds("right_of(fork, plate)") and s.holds("untouched(green cup)")


def test_a_routine_phrase_with_no_job_asks_what_it_stands_for():
    s = Session(scene(obj("fork", "fork"), obj("plate", "plate"), obj("green cup", "cup", "green")))
    turn = s.say("Whenever I say lay the places.")
    assert turn.question and "lay the places" in turn.question and not turn.notes and not turn.steps
    turn = s.say("The fork goes to the right of the plate.")
    assert turn.notes and not turn.steps and not turn.question
    s.say("Lay the places.")
    s.run()
    assert s.holds("right_of(fork, plate)")


def test_a_habit_with_no_job_is_asked_about_as_the_robots_own():
    s = Session(scene(obj("fork", "fork"), obj("plate", "plate")))
    turn = s.say("Whenever you tidy up.")
    assert turn.question == "What should I do whenever I tidy up?"
