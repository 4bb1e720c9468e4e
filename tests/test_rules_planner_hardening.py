"""The rules planner on wordings added while hardening it: positional towers, "the rest",
wishes and likings, sorting "by colour", corrections that name a new destination, pronouns
after picking several things up, and elided "... too" clauses. None of these sentences is in a
scenario file."""

from __future__ import annotations

from agent.planners.rules import RulesPlanner
from agent.schema import PlannerInput, PlanStep
from tests.test_rules_planner_support import Session, catalogue, obj, registry, scene


def do(objects, *texts: str) -> Session:
    s = Session(objects)
    for text in texts:
        turn = s.say(text)
        assert not turn.question and not turn.refused, (text, turn.question, turn.say)
        s.run()
    return s


def placed(s: Session) -> list[tuple]:
    return [(r.step.args.get("object"), r.step.args.get("relation"), r.step.args.get("target")) for r in s.done]


def _blocks():
    return scene(obj("red block", "block", "red"), obj("green block", "block", "green"),
                 obj("purple block", "block", "purple"))


# -- towers --------------------------------------------------------------------------------------

def test_tower_ordered_by_positions_said_out_of_order():
    s = do(_blocks(), "Pile up the blocks so that the red one is on top, the purple one sits at the bottom "
                      "and the green one in the middle.")
    assert s.holds("on(green block, purple block)") and s.holds("on(red block, green block)")


def test_stack_without_positions_is_not_a_tower():
    s = Session(scene(obj("red block", "block", "red"), obj("tray", "tray", at="left")))
    turn = s.say("stack the red block with care on the tray")
    assert [st.args.get("target") for st in turn.steps] == ["tray"]


# -- "the rest" and "the remaining ..." ----------------------------------------------------------

def test_the_rest_means_what_the_sentence_has_not_moved_yet():
    objects = scene(obj("mug", "cup", "white"), obj("paper", "trash"), obj("tin", "can", "blue"),
                    obj("crate", "basket", at="left"), obj("bin", "bin", at="right"))
    s = do(objects, "Put the mug into the crate and everything else in the bin.")
    assert placed(s) == [("mug", "in", "crate"), ("paper", "in", "bin"), ("tin", "in", "bin")]


def test_the_leftover_blocks_skip_ones_moved_earlier_in_the_session():
    objects = _blocks() + scene(obj("tray", "tray", at="left"), obj("basket", "basket", at="right"))
    s = do(objects, "set the green block on the tray")
    s.objects = s.table.scene_now()
    turn = s.say("now the leftover blocks go in the basket")
    assert sorted(st.args["object"] for st in turn.steps) == ["purple block", "red block"]


# -- wishes, likings, sorting by colour ----------------------------------------------------------

def test_a_wish_is_a_request():
    s = do(scene(obj("fork", "fork", "black"), obj("tray", "tray", at="left")), "We need the fork on the tray")
    assert s.holds("on(fork, tray)")


def test_a_liking_becomes_a_rule_for_putting_away():
    objects = scene(obj("tin", "can", "green"), obj("crate", "basket", at="left"), obj("bin", "bin", at="right"))
    s = Session(objects)
    turn = s.say("I like my tins in the crate.")
    assert turn.notes and not turn.steps
    s.say("tidy up the tin")
    s.run()
    assert s.holds("in(tin, crate)")


def test_sort_by_colour_is_a_manner_not_a_place():
    objects = scene(obj("red block", "block", "red"), obj("blue block", "block", "blue"),
                    obj("red bowl", "bowl", "red"), obj("blue bowl", "bowl", "blue"))
    s = do(objects, "Could you group the blocks according to their colours?")
    assert s.holds("in(red block, red bowl)") and s.holds("in(blue block, blue bowl)")


# -- the demo's job, in full ---------------------------------------------------------------------

def test_clean_up_job_plans_every_named_object():
    objects = scene(obj("trash", "trash", "white"), obj("can", "can", "red"), obj("red cup", "cup", "red"),
                    obj("blue cup", "cup", "blue"), obj("fork", "fork", "black"),
                    obj("plate", "plate", "white", at="center"), obj("bin", "bin", at="right"),
                    obj("tray", "tray", at="left"))
    s = Session(objects)
    turn = s.say("Clean up the table: the trash and the can go in the bin, the cups go on the tray, then put "
                 "the fork to the left of the plate, but don't touch the plate.")
    assert [(st.args["object"], st.args["target"]) for st in turn.steps] == [
        ("trash", "bin"), ("can", "bin"), ("red cup", "tray"), ("blue cup", "tray"), ("fork", "plate")]


# -- corrections while the arm moves -------------------------------------------------------------

def _moving(objects, request: str, correction: str):
    """The correction as the agent delivers it: the running step is also the first pending one."""
    planner = RulesPlanner()
    skills = catalogue(registry())
    first = planner.plan(PlannerInput(utterance=request, scene=objects, skills=skills))
    running = first.steps[0]
    return planner.plan(PlannerInput(utterance=correction, scene=objects, skills=skills, running=running,
                                     pending=list(first.steps)))


def test_correction_naming_the_destination_kind_redirects():
    objects = scene(obj("cube", "block", "green"), obj("white bowl", "bowl", "white"),
                    obj("black bowl", "bowl", "black"))
    turn = _moving(objects, "put the cube in the white bowl", "no no, the black bowl")
    assert turn.preempt and [st.args for st in turn.steps] == [
        {"object": "cube", "relation": "in", "target": "black bowl"}]


def test_corrected_object_is_not_moved_after_all():
    objects = scene(obj("cube a", "block", "white"), obj("cube b", "block", "black"), obj("tray", "tray"))
    turn = _moving(objects, "put the white cube on the tray", "wrong one, the black cube")
    assert [st.args["object"] for st in turn.steps] == ["cube b"]


def test_keep_alone_is_an_exclusion():
    objects = scene(obj("paper", "trash"), obj("tin", "can", "red"), obj("bin", "bin", at="right"))
    s = Session(objects)
    s.say("bin the paper and the tin")
    s.run(1)
    turn = s.say("hmm, keep the tin")
    assert [st.args["object"] for st in turn.steps if st.skill == "place"] == []


def test_moving_verbs_do_not_forget_notes():
    objects = scene(obj("cube", "block", "red"), obj("bowl", "bowl", "blue"))
    s = Session(objects, notes=[])
    s.say("from now on, blocks go in the bowl")
    turn = s.say("remove the cube from the table and put it in the bowl")
    assert not turn.forget


# -- pronouns and elided clauses -----------------------------------------------------------------

def test_it_after_picking_up_several_means_each():
    objects = _blocks() + scene(obj("box", "basket", at="left"))
    s = do(objects, "lift all of the blocks and drop it into the box")
    assert all(s.holds(f"in({c} block, box)") for c in ("red", "green", "purple"))


def test_too_clause_repeats_the_step_just_planned():
    objects = scene(obj("paper", "trash"), obj("tin", "can", "red"), obj("mug", "cup", "blue"),
                    obj("bin", "bin", at="right"))
    s = do(objects, "toss the paper into the bin and the tin also")
    assert s.holds("in(tin, bin)") and s.holds("untouched(mug)")


def test_them_both_and_possessive_sides():
    objects = scene(obj("fork", "fork", "black"), obj("plate", "plate", "white", at="center"),
                    obj("mug", "cup", "red"), obj("tray", "tray", at="left"))
    s = do(objects, "would you mind placing the fork on the plate's right hand side")
    assert s.holds("right_of(fork, plate)")
    s = do(objects, "put the fork and the mug on the tray", "put them both back")
    assert s.holds("near(fork, fork@start)") and s.holds("near(mug, mug@start)")


def test_nearest_to_you_is_the_robots_side():
    objects = scene(obj("cup a", "cup", "red", pos=(0.25, 0.0)), obj("cup b", "cup", "red", pos=(0.65, 0.0)),
                    obj("tray", "tray", at="left"))
    s = do(objects, "put the cup closest to you on the tray")
    assert s.holds("on(cup a, tray)") and s.holds("untouched(cup b)")


def test_the_person_stands_across_the_table_from_the_robot():
    """"Me" is the person facing the robot across the table: closest to me is the robot's far side
    (the back regions), and my left is the robot's right. Left and right said plainly stay the robot's."""
    objects = scene(obj("cup a", "cup", "red", pos=(0.25, 0.2)), obj("cup b", "cup", "red", pos=(0.65, -0.2)),
                    obj("tray", "tray", at="left"))
    for text, moved in (("put the cup closest to me on the tray", "cup b"),
                        ("put the cup nearest me on the tray", "cup b"),
                        ("put the nearest cup on the tray", "cup b"),
                        ("put the cup furthest from me on the tray", "cup a"),
                        ("put the cup on my right on the tray", "cup a"),
                        ("put the cup on my left on the tray", "cup b"),
                        ("put the cup on the left on the tray", "cup a"),
                        ("put the cup closest to you on the tray", "cup a")):
        s = do(objects, text)
        assert placed(s) == [(moved, "on", "tray")], text
    # Asked which one, "the one closest to me" is answered the same way.
    s = Session(objects)
    assert s.say("put the cup on the tray").question
    s.say("The one closest to me.")
    s.run()
    assert placed(s) == [("cup b", "on", "tray")]
