"""Corrections while the arm carries something, on the simulated robot with the rules planner."""

from __future__ import annotations

from agent.config import SessionConfig
from agent.session import Session
from sim.predicates import check_all
from sim.scenario import ObjectSpec, SceneSpec

SCENE = SceneSpec(seed=31, objects=[ObjectSpec(name="green block", kind="block", color="green"),
                                    ObjectSpec(name="yellow block", kind="block", color="yellow", at="front-left"),
                                    ObjectSpec(name="basket", kind="basket", at="right")])


def test_wrong_object_in_hand_goes_back_before_the_right_one_is_moved(tmp_path):
    box: dict = {}

    def hook(handle, obs):
        # Say it once the wrong block is lifted, as a person would on seeing it in the air.
        held = obs.objects["yellow block"]
        if "said" not in box and held.grasped and held.pos[2] > 0.06:
            box["said"] = box["s"].interject("No, wrong one! I said the green block.")
            box["said"].handled.wait(30)

    s = Session(SCENE, SessionConfig(home=tmp_path), on_tick=hook)
    box["s"] = s
    r = s.say("Put the yellow block in the basket.")
    state = s.robot.state()
    s.close()
    assert "said" in box, "the correction was made while the block was in the air"
    ok, failed = check_all(["in(green block, basket)", "!in(yellow block, basket)",
                            "near(yellow block, yellow block@start)"], state)
    assert ok, failed
    skills = [x["step"]["skill"] for x in r.steps]
    assert skills[0] == "place" and r.steps[0]["status"] == "cancelled"
    assert "put_back" in skills, "the block in the hand was set down where it came from"
    assert skills.index("put_back") < len(skills) - 1
    assert r.not_done == [] and r.outcome == "done"


def test_redirect_keeps_the_object_in_hand(tmp_path):
    box: dict = {}
    scene = SceneSpec(seed=19, objects=[ObjectSpec(name="red cup", kind="cup", color="red"),
                                        ObjectSpec(name="tray", kind="tray", at="left"),
                                        ObjectSpec(name="bin", kind="bin", at="right")])

    def hook(handle, obs):
        cup = obs.objects["red cup"]
        if "said" not in box and cup.grasped and cup.pos[2] > 0.08:
            box["said"] = box["s"].interject("Actually, put it on the tray instead.")
            box["said"].handled.wait(30)

    s = Session(scene, SessionConfig(home=tmp_path), on_tick=hook)
    box["s"] = s
    r = s.say("Put the red cup in the bin.")
    state = s.robot.state()
    s.close()
    assert "said" in box
    ok, failed = check_all(["on(red cup, tray)", "!in(red cup, bin)"], state)
    assert ok, failed
    assert [x["step"]["skill"] for x in r.steps] == ["place", "place"], "no detour through put_back"
