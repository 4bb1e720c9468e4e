"""`RulesPlanner(handover=True)` answers only what it fully understands and raises
`NotUnderstood` for the rest, so that a model planner can take the turn; it never acts on a
partial reading. Without hand-over it answers as before (a question, a refusal, or the part it read)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.planners.base import NotUnderstood
from agent.planners.rules import RulesPlanner
from agent.schema import PlannerTurn
from sim.scenario import load_scenarios
from tests.test_rules_planner_support import Session, judge, obj, scene

SCENARIOS = Path(__file__).resolve().parent / "scenarios"


def _session(*objects: dict) -> Session:
    return Session(scene(*objects), planner=RulesPlanner(handover=True))


def _say(s: Session, text: str) -> PlannerTurn | None:
    """The turn, or None when the planner handed it over."""
    try:
        return s.say(text)
    except NotUnderstood as e:
        assert str(e), "a hand-over says why"
        return None


def _moved(turn: PlannerTurn) -> dict[str, str]:
    return {str(st.args["object"]): str(st.args.get("target", "")) for st in turn.steps}


# -- the partial readings the issue names, in other words -------------------------------------------

def test_an_exception_at_the_end_is_never_dropped():
    s = _session(obj("red block", "block", "red"), obj("purple block", "block", "purple"),
                 obj("green block", "block", "green"), obj("basket", "basket", at="left"))
    for text in ("Move each block to the basket apart from the purple block.",
                 "Every block into the basket, other than the purple one.",
                 "Put the blocks in the basket aside from the purple one please."):
        turn = _say(s, text)
        assert turn is None or (turn.steps and "purple block" not in _moved(turn)), (text, turn)


def test_a_correction_opened_by_a_discourse_phrase_is_handed_over_or_followed():
    for text in ("Hmm, you know what, the tray.", "Well then, let's say the tray.", "Oh, come to think of it, tray."):
        s = _session(obj("white can", "can", "white"), obj("bin", "bin", at="right"), obj("tray", "tray", at="left"))
        s.say("Put the white can in the bin.")
        s.start_step()
        turn = _say(s, text)
        assert turn is None or (not turn.refused and _moved(turn).get("white can") == "tray"), (text, turn)


def test_a_stop_with_more_words_stops_or_is_handed_over():
    for text in ("Alright stop it right now.", "Stop, stop, that's enough.", "Hey, stop what you are doing!"):
        s = _session(obj("red cup", "cup", "red"), obj("bin", "bin", at="right"))
        s.say("Put the red cup in the bin.")
        s.start_step()
        turn = _say(s, text)
        assert turn is None or turn.control == "stop", (text, turn)


def test_a_tower_with_a_colon_and_then_is_never_refused_for_a_word_that_is_no_object():
    s = _session(obj("yellow block", "block", "yellow"), obj("red block", "block", "red"), obj("blue block", "block", "blue"))
    for text in ("Stack them up: yellow at the base, then red, then blue.",
                 "Tower please: the yellow one on the bottom, then the red one, then the blue one."):
        turn = _say(s, text)
        if turn is None:
            continue
        assert not turn.refused and turn.question is None, (text, turn)
        assert _moved(turn) == {"red block": "yellow block", "blue block": "red block"}, (text, turn)


def test_two_objects_before_into_the_basket_both_go_there():
    s = _session(obj("green can", "can", "green"), obj("white cup", "cup", "white"), obj("plate", "plate", "white"),
                 obj("basket", "basket", at="right"))
    for text in ("Move the green can and the white cup into the basket.",
                 "Drop the white cup as well as the green can into the basket."):
        turn = _say(s, text)
        assert turn is None or _moved(turn) == {"green can": "basket", "white cup": "basket"}, (text, turn)


def test_a_routine_taught_with_whenever_is_remembered_not_done():
    s = _session(obj("fork", "fork", "black"), obj("tray", "tray", at="left"), obj("green can", "can", "green"),
                 obj("bin", "bin", at="right"))
    for text in ("Whenever you clear up, the forks go on the tray.",
                 "Whenever you do the dishes, put the fork on the tray and the can in the bin."):
        turn = _say(s, text)
        assert turn is None or (not turn.steps and turn.notes), (text, turn)


# -- other partial readings ---------------------------------------------------------------------------

def test_a_verb_it_does_not_know_is_handed_over():
    s = _session(obj("red cup", "cup", "red"), obj("bin", "bin"))
    with pytest.raises(NotUnderstood, match="juggle"):
        s.say("Juggle the red cup.")


def test_a_named_object_left_out_of_the_answer_is_handed_over():
    # "and the bowl" for "in the bowl": asking where it goes would ignore the bowl that was named.
    s = _session(obj("orange mug", "cup", "orange"), obj("white bowl", "bowl", "white"))
    with pytest.raises(NotUnderstood):
        s.say("put the orange mug and the bowl")


def test_a_place_nobody_named_is_handed_over(monkeypatch):
    # Whatever reading sends a thing somewhere the turn never named is not a full understanding.
    from agent.planners.rules import handover
    from agent.schema import PlanStep

    s = _session(obj("red cup", "cup", "red"), obj("tray", "tray", at="left"), obj("bin", "bin", at="right"))
    inp_turn = PlannerTurn(say="Okay.", steps=[PlanStep(skill="place", args={"object": "red cup", "relation": "on",
                                                                             "target": "tray"})])
    from agent.schema import PlannerInput
    inp = PlannerInput(utterance="put the red cup in the bin", scene=s.table.scene_now())
    assert "tray" in handover.reason_not_understood(inp, inp.utterance, inp_turn)


def test_a_refusal_the_scene_bears_out_stands():
    s = _session(obj("red cup", "cup", "red"), obj("bin", "bin"))
    turn = s.say("Put the green cup in the bin.")
    assert turn.refused and "green cup" in turn.say
    turn = s.say("Put the kettle in the bin.")  # a thing the robot has no word for, and does not see
    assert turn.refused and "kettle" in turn.say
    turn = s.say("Put the red cup into the red cup.")
    assert turn.refused


def test_what_it_understands_is_answered_not_handed_over():
    s = _session(obj("red cup", "cup", "red"), obj("blue cup", "cup", "blue"), obj("tray", "tray", at="left"),
                 obj("bin", "bin", at="right"), obj("plate", "plate", "white", at="center"))
    turn = s.say("Put the red cup on the tray, then put the blue cup in the bin.")
    assert _moved(turn) == {"red cup": "tray", "blue cup": "bin"}
    s = _session(obj("red cup", "cup", "red"), obj("blue cup", "cup", "blue"), obj("bin", "bin", at="right"))
    turn = s.say("Throw away every cup except the blue one.")
    assert _moved(turn) == {"red cup": "bin"}
    turn = s.say("Put the cup in the bin.")
    assert turn.question  # two cups: a real choice


def test_without_hand_over_the_planner_answers_as_before():
    s = Session(scene(obj("red cup", "cup", "red"), obj("bin", "bin")))
    turn = s.say("Juggle the red cup.")
    assert turn.refused and turn.say.startswith("Sorry, I don't know how to")


@pytest.mark.parametrize("name", ["heldout_typed.jsonl", "heldout_spoken.jsonl"])
def test_held_out_sets_are_never_acted_on_wrongly(name):
    """Rules alone with hand-over: each held-out scenario is right, handed over or declined
    (nothing moved); none leaves the table wrong."""
    wrong = []
    for sc in load_scenarios(SCENARIOS / name):
        outcome = judge(sc, lambda: RulesPlanner(handover=True))
        if outcome.verdict == "acted_wrongly":
            wrong.append(f"{sc.id}: {outcome.detail}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("name", ["paraphrased.jsonl", "hardening.jsonl", "generalization.jsonl", "unseen.jsonl"])
def test_the_projects_own_scenarios_are_right_or_handed_over(name):
    """What the rules read right alone they still read right with hand-over on, or hand over
    (never a new wrong answer, never a refusal or question in place of a right answer)."""
    bad = []
    for sc in load_scenarios(SCENARIOS / name):
        outcome = judge(sc, lambda: RulesPlanner(handover=True))
        if outcome.verdict not in ("right", "handed_over"):
            bad.append(f"{sc.id}: {outcome.verdict} {outcome.detail}")
    assert not bad, "\n".join(bad)


def test_the_public_scenarios_are_answered_by_the_rules_without_hand_over():
    from tests.test_rules_planner_public import SCENARIOS as PUBLIC

    if not PUBLIC:
        pytest.skip("no public scenario file")
    handed = [sc.id for sc in PUBLIC if judge(sc, lambda: RulesPlanner(handover=True)).verdict != "right"]
    assert not handed
