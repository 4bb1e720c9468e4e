"""The scripted skills on the simulator, in lockstep: they succeed, and they fail honestly."""

from __future__ import annotations

import numpy as np
import pytest

from sim.predicates import check
from sim.robot import SimRobot
from sim.scenario import SceneSpec
from skills.api import Outcome, SkillContext, Status
from skills.builtin.args import HomeArgs, PlaceArgs, PutBackArgs
from skills.builtin.home import HomeSkill
from skills.builtin.place import PlaceSkill
from skills.builtin.put_back import PutBackSkill
from skills.drive import drive
from skills.registry import load_registry


def robot(objects, seed=0, **kw):
    return SimRobot(SceneSpec.model_validate({"objects": objects, "seed": seed}), cameras=(), **kw)


def place(r, obj, relation, target) -> Outcome:
    return drive(PlaceSkill(), PlaceArgs(object=obj, relation=relation, target=target), r)


def holds(r, expr) -> bool:
    r.advance(0.3)
    return check(expr, r.state())


def test_registry_finds_the_builtins():
    reg = load_registry(include_plugins=False)
    assert {"place", "put_back", "home"} <= set(reg.names())
    for entry in reg.catalogue():
        assert len(entry["description"]) > 40 and entry["args"]["type"] == "object"


@pytest.mark.parametrize("kind,container", [("cup", "bin"), ("can", "bin"), ("trash", "bin"), ("bowl", "bin"),
                                            ("fork", "basket"), ("block", "bowl")])
def test_place_every_graspable_kind_in_a_container(kind, container):
    r = robot([{"name": kind, "kind": kind}, {"name": container, "kind": container, "at": "right"},
               {"name": "other", "kind": "can"}], seed=1)
    out = place(r, kind, "in", container)
    assert out.ok, out.reason
    assert holds(r, f"in({kind}, {container})") and holds(r, "untouched(other)")
    assert kind in r.state().ever_grasped


def test_place_cup_on_tray_and_block_on_block():
    r = robot([{"name": "red cup", "kind": "cup", "color": "red"}, {"name": "tray", "kind": "tray", "at": "left"},
               {"name": "red block", "kind": "block", "color": "red"},
               {"name": "yellow block", "kind": "block", "color": "yellow"}], seed=5)
    out = place(r, "red cup", "on", "tray")
    assert out.ok, out.reason
    out = place(r, "red block", "on", "yellow block")
    assert out.ok, out.reason
    assert holds(r, "on(red cup, tray)") and holds(r, "on(red block, yellow block)")


def test_three_block_tower():
    r = robot([{"name": c, "kind": "block", "color": c} for c in ("red", "green", "blue")], seed=6)
    assert place(r, "green", "on", "blue").ok
    assert place(r, "red", "on", "green").ok
    assert holds(r, "on(green, blue)") and holds(r, "on(red, green)")


@pytest.mark.parametrize("relation", ["left_of", "right_of"])
def test_fork_beside_the_plate(relation):
    r = robot([{"name": "fork", "kind": "fork", "color": "black"}, {"name": "plate", "kind": "plate", "at": "center"}],
              seed=3)
    out = place(r, "fork", relation, "plate")
    assert out.ok, out.reason
    assert holds(r, f"{relation}(fork, plate)") and holds(r, "untouched(plate)")


def test_near():
    r = robot([{"name": "can", "kind": "can"}, {"name": "cup", "kind": "cup"}], seed=4)
    out = place(r, "can", "near", "cup")
    assert out.ok, out.reason
    assert holds(r, "near(can, cup)")


def test_put_back_and_home():
    r = robot([{"name": "yellow cup", "kind": "cup", "at": "front-left"}, {"name": "basket", "kind": "basket", "at": "right"}],
              seed=24)
    assert place(r, "yellow cup", "in", "basket").ok
    extras = {"start_positions": {k: tuple(v) for k, v in r.start_poses.items()}}
    out = drive(PutBackSkill(), PutBackArgs(object="Yellow Cup"), r, extras=extras)
    assert out.ok, out.reason
    assert holds(r, "!in(yellow cup, basket)") and holds(r, "near(yellow cup, yellow cup@start)")
    out = drive(HomeSkill(), HomeArgs(), r)
    assert out.ok, out.reason
    obs = r.observe()
    assert np.max(np.abs(obs.joints - r.home_joints)) < 0.02 and obs.gripper == 0.0


def test_put_back_without_start_positions_fails_clearly():
    r = robot([{"name": "cup", "kind": "cup"}])
    out = drive(PutBackSkill(), PutBackArgs(object="cup"), r)
    assert out.status == Status.failure and "start positions" in out.reason


@pytest.mark.parametrize("args,why", [
    (("red block", "in", "blue block"), "not a container"),
    (("red block", "on", "red block"), "itself"),
    (("plate", "on", "red block"), "cannot be picked up"),
    (("red block", "in", "ghost"), "no object called"),
    (("red block", "on", "bowl"), "container"),
])
def test_impossible_placements_fail_before_moving(args, why):
    r = robot([{"name": "red block", "kind": "block"}, {"name": "blue block", "kind": "block"},
               {"name": "plate", "kind": "plate"}, {"name": "bowl", "kind": "bowl"}], seed=15)
    q0 = r.observe().joints.copy()
    out = place(r, *args)
    assert out.status == Status.failure and why in out.reason, out.reason
    assert np.allclose(r.observe().joints, q0, atol=1e-3)  # the arm never moved
    assert holds(r, "untouched(red block)")


def test_a_slip_is_reported_as_a_failure():
    r = robot([{"name": "red block", "kind": "block", "color": "red"}, {"name": "blue bowl", "kind": "bowl"}],
              seed=25, perturbation="drop_first_grasp")
    out = place(r, "red block", "in", "blue bowl")
    assert out.status == Status.failure and out.reason == "the red block slipped out of the gripper"
    assert holds(r, "!in(red block, blue bowl)")
    # The world let go only once: a retry works.
    out = place(r, "red block", "in", "blue bowl")
    assert out.ok, out.reason
    assert holds(r, "in(red block, blue bowl)")


def test_the_skill_can_be_cancelled_mid_motion():
    r = robot([{"name": "cup", "kind": "cup"}, {"name": "bin", "kind": "bin", "at": "right"}])
    obs = r.observe()
    gen = PlaceSkill().run(PlaceArgs(object="cup", relation="in", target="bin"), SkillContext(robot=r, first_observation=obs))
    action = next(gen)
    for _ in range(30):
        r.act(action)
        r.advance(0.05)
        action = gen.send(r.observe())
    gen.close()  # what the executor does on a stop: no exception, no further actions
    r.act(r.hold_action())
    r.advance(1.0)
    assert r.arm_speed() < 0.05
    assert holds(r, "!in(cup, bin)")


def test_free_space_treats_cups_cans_and_plates_as_discs():
    """Two cups side by side on a diagonal leave room that their bounding squares would not,
    and a cup near a block's corner is judged by the distance to that corner."""
    from skills.builtin.placement import _overlap

    r = (0.032, 0.032)
    diagonal = (0.05, 0.05)  # 70.7 mm apart: discs of 32 mm clear by 6 mm, squares overlap
    assert not _overlap((0, 0), r, 0.0, True, diagonal, r, 0.0, True, 0.004)
    assert _overlap((0, 0), r, 0.0, False, diagonal, r, 0.0, False, 0.004)
    assert _overlap((0, 0), r, 0.0, True, (0.06, 0.0), r, 0.0, True, 0.004), "discs 60 mm apart touch"
    block = (0.02, 0.02)
    assert not _overlap((0, 0), r, 0.0, True, (0.05, 0.05), block, 0.0, False, 0.004)  # corner 42 mm away
    assert _overlap((0, 0), r, 0.0, False, (0.05, 0.05), block, 0.0, False, 0.004)
    assert not _overlap((0, 0), r, 0.0, True, (0.06, 0.0), block, 0.0, False, 0.004)  # face 40 mm away
    # the block turned 45 degrees brings a corner to 32 mm
    assert _overlap((0, 0), r, 0.0, True, (0.06, 0.0), block, np.pi / 4, False, 0.004)
