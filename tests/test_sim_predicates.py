"""The eval predicates on hand-made world states (no physics needed)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.kinds import kind_info
from sim.predicates import WorldState, check, check_all
from skills.api import ObjectState


def obj(name, kind, x, y, z=None, grasped=False, yaw=0.0):
    half = kind_info(kind).half_arr
    z = half[2] if z is None else z
    return ObjectState(name=name, kind=kind, color=None, pos=np.array([x, y, z], float),
                       quat=np.array([np.cos(yaw / 2), 0, 0, np.sin(yaw / 2)]), size=half.copy(), grasped=grasped)


def world(*objs, start=None, grasped=(), speeds=None):
    objects = {o.name: o for o in objs}
    start = start or {o.name: o.pos.copy() for o in objs}
    return WorldState(objects=objects, start=start, ever_grasped=set(grasped), speeds=speeds or {})


def test_in_container():
    bin_ = obj("Bin", "bin", 0.0, -0.2)
    cup_in = obj("red cup", "cup", 0.02, -0.21, z=0.01 + 0.045)
    cup_out = obj("blue cup", "cup", 0.2, 0.1)
    w = world(bin_, cup_in, cup_out)
    assert check("in(red cup, bin)", w)  # names are case-insensitive
    assert check("in(RED CUP,Bin)", w)
    assert not check("in(blue cup, bin)", w)
    assert check("!in(blue cup, bin)", w)
    # A cup held above the bin is not resting in it, nor is one still falling.
    w.objects["red cup"].grasped = True
    assert not check("in(red cup, bin)", w)
    w.objects["red cup"].grasped = False
    w.speeds["red cup"] = 0.5
    assert not check("in(red cup, bin)", w)


def test_in_needs_a_container():
    a, b = obj("a", "block", 0, 0), obj("b", "block", 0, 0, z=0.066)
    assert not check("in(b, a)", world(a, b))


def test_on_surface_and_stack():
    tray = obj("tray", "tray", 0.0, 0.25)
    cup = obj("cup", "cup", 0.03, 0.24, z=0.012 + 0.045)  # on the tray's floor, inside its low rim
    lower = obj("blue block", "block", -0.1, 0.0)
    upper = obj("red block", "block", -0.1, 0.005, z=0.044 + 0.022)
    w = world(tray, cup, lower, upper)
    assert check("on(cup, tray)", w)
    assert check("on(red block, blue block)", w)
    assert not check("on(blue block, red block)", w)
    assert not check("on(cup, blue block)", w)
    beside = obj("red block", "block", -0.1, 0.1)
    assert not check("on(red block, blue block)", world(lower, beside))


def test_left_and_right_are_from_the_robots_view():
    plate = obj("plate", "plate", 0.0, 0.0)
    left = obj("fork", "fork", 0.01, 0.14)  # +y is the robot's left
    w = world(plate, left)
    assert check("left_of(fork, plate)", w)
    assert not check("right_of(fork, plate)", w)
    assert check("right_of(plate, fork)", w)
    far = obj("fork", "fork", 0.0, 0.3)  # more than 25 cm away
    assert not check("left_of(fork, plate)", world(plate, far))
    ahead = obj("fork", "fork", 0.2, 0.05)  # mostly behind the plate, not beside it
    assert not check("left_of(fork, plate)", world(plate, ahead))


def test_near():
    a, b, c = obj("a", "cup", 0, 0), obj("b", "can", 0.08, 0.05), obj("c", "can", 0.2, 0)
    w = world(a, b, c)
    assert check("near(a, b)", w) and check("near(b, a)", w)
    assert not check("near(a, c)", w)


def test_untouched():
    a = obj("a", "cup", 0, 0)
    w = world(a)
    assert check("untouched(a)", w)
    w.ever_grasped.add("a")
    assert not check("untouched(a)", w)  # grasped, even if put back exactly
    moved = world(obj("a", "cup", 0.03, 0), start={"a": np.array([0, 0, 0.045])})
    assert not check("untouched(a)", moved)
    nudged = world(obj("a", "cup", 0.01, 0), start={"a": np.array([0, 0, 0.045])})
    assert check("untouched(a)", nudged)


def test_at_start_argument():
    w = world(obj("yellow cup", "cup", 0.2, 0.2), start={"yellow cup": np.array([-0.1, 0.2, 0.045])})
    assert not check("near(yellow cup, yellow cup@start)", w)
    w.objects["yellow cup"].pos = np.array([-0.05, 0.22, 0.045])
    assert check("near(yellow cup, Yellow Cup@start)", w)
    assert check("near(yellow cup@start, yellow cup)", w)
    with pytest.raises(ValueError, match="needs an object"):
        check("in(yellow cup@start, yellow cup)", w)


def test_check_all_lists_the_failures():
    w = world(obj("a", "cup", 0, 0), obj("b", "cup", 0.3, 0))
    ok, failed = check_all(["near(a, a)", "near(a, b)", "!near(a, b)"], w)
    assert not ok and failed == ["near(a, b)"]
    assert check_all([], w) == (True, [])


@pytest.mark.parametrize("bad", ["", "in(a)", "in(a, b, c)", "inside(a, b)", "in a b", "near(a, )", "near(a, ghost)",
                                 "untouched(ghost@start)", "!"])
def test_malformed_or_unknown_raises(bad):
    w = world(obj("a", "cup", 0, 0), obj("b", "cup", 0.3, 0))
    with pytest.raises(ValueError):
        check(bad, w)
