"""Checks every planner's turn passes that the scene and the kinds module can refute: a
placement "in" something that is no container, and a refusal that claims not to see an object
the scene lists."""

from __future__ import annotations

from agent.planners.turn_check import check_turn, read_turn
from agent.schema import PlannerTurn, PlanStep, SceneObject
from agent.validate import step_problems
from tests.planner_fixtures import planner_input, registry


def _place(obj: str, relation: str, target: str) -> PlanStep:
    return PlanStep(skill="place", args={"object": obj, "relation": relation, "target": target})


def test_nothing_goes_in_a_surface_or_a_solid():
    inp = planner_input()
    names = {o.name: o.kind for o in inp.scene}
    assert names["green block"] == "block" and names["tray"] == "tray" and names["bin"] == "bin"
    assert step_problems(_place("red cup", "in", "bin"), registry(), inp.scene) == []
    assert step_problems(_place("red cup", "on", "tray"), registry(), inp.scene) == []
    for target in ("green block", "tray"):
        problems = step_problems(_place("red cup", "in", target), registry(), inp.scene)
        assert problems and "not a container" in problems[0] and '"on"' in problems[0], problems
    solid = inp.scene + [SceneObject(name="blue can", kind="can", color="blue", pos=(0.3, 0.0, 0.05))]
    problems = step_problems(_place("red cup", "in", "blue can"), registry(), solid)
    assert problems and "nothing goes in or on it" in problems[0]


def test_a_refusal_that_the_scene_contradicts_is_sent_back():
    inp = planner_input("Put the green block on the tray.")
    blind = PlannerTurn(say="Sorry, I can't see the green block on the table.", refused=True)
    problems = check_turn(blind, registry(), inp.scene, inp)
    assert any("green block" in p and "in the scene list" in p for p in problems), problems
    honest = PlannerTurn(say="Sorry, I can't see a purple vase.", refused=True)
    assert check_turn(honest, registry(), inp.scene, inp) == []
    other_reason = PlannerTurn(say="The green block cannot go inside the tray.", refused=True)
    assert check_turn(other_reason, registry(), inp.scene, inp) == []


def test_a_plan_that_guesses_between_objects_named_alike_is_sent_back():
    inp = planner_input("Put the cup in the bin.")  # a red and a blue cup on the table
    guess = PlannerTurn(say="Putting the red cup in the bin.",
                        steps=[PlanStep(skill="place", args={"object": "red cup", "relation": "in", "target": "bin"})])
    problems = read_turn(guess.model_dump_json(), registry(), inp.scene, inp)[1]
    assert any("ask which one" in p and "red cup, blue cup" in p for p in problems), problems
    # The rules parser grounds references itself: the shared checks leave its answers alone.
    assert check_turn(guess, registry(), inp.scene, inp) == []
    assert read_turn(PlannerTurn(question="Which cup?").model_dump_json(), registry(), inp.scene, inp)[1] == []
    # Told apart in the request, or by what was said before: no guess.
    for said in ("Put the cup that is red in the bin.", "Put the cup on the left in the bin.",
                 "Each cup goes into the bin of the same colour, the cup of the red kind first.",
                 "Put the red cup in the bin.", "Put the cups in the bin."):
        told = planner_input(said)
        assert not [p for p in read_turn(guess.model_dump_json(), registry(), told.scene, told)[1] if "ask which" in p], said
    from agent.schema import DialogueTurn
    answered = planner_input("Put the cup in the bin.", dialogue=[DialogueTurn(role="robot", text="Which cup?"),
                                                                  DialogueTurn(role="user", text="The red one.")])
    assert not [p for p in read_turn(guess.model_dump_json(), registry(), answered.scene, answered)[1] if "ask which" in p]


def test_a_streamed_step_on_a_guessed_object_is_not_started_early():
    from agent.planners.dispatch import StepDispatcher

    inp = planner_input("Put the cup in the bin.")
    started: list = []
    d = StepDispatcher(started.append, registry(), inp.scene, early=True, inp=inp)
    d.offer_streamed('{"skill": "place", "args": {"object": "red cup", "relation": "in", "target": "bin"}}', {"say": ""})
    assert started == [], "the arm must not move on a guess before the turn is checked"
    told = planner_input("Put the red cup in the bin.")
    d = StepDispatcher(started.append, registry(), told.scene, early=True, inp=told)
    d.offer_streamed('{"skill": "place", "args": {"object": "red cup", "relation": "in", "target": "bin"}}', {"say": ""})
    assert len(started) == 1


def test_a_plan_that_moves_what_the_request_never_named_is_sent_back():
    inp = planner_input("Put all the blocks on the tray.")
    more = PlannerTurn(say="", steps=[PlanStep(skill="place", args={"object": "green block", "relation": "on",
                                                                      "target": "tray"}),
                                      PlanStep(skill="place", args={"object": "red cup", "relation": "on",
                                                                    "target": "tray"})])
    problems = read_turn(more.model_dump_json(), registry(), inp.scene, inp)[1]
    assert any("moves the red cup" in p for p in problems), problems
    # Requests that reach further, or name the object by its colour, are left alone.
    for said in ("Put everything on the tray.", "Clear the table onto the tray.", "Put the red one and the blocks "
                 "on the tray.", "Put the dishes and the blocks on the tray.", "Put them on the tray."):
        told = planner_input(said)
        assert not [p for p in read_turn(more.model_dump_json(), registry(), told.scene, told)[1] if "moves the" in p], said
