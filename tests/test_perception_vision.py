"""Vision perception against the simulator's true poses, and its predicate checks."""

from __future__ import annotations

import os

os.environ.setdefault("MUJOCO_GL", "egl")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from bench.bench_perception import random_scene, set_pose  # noqa: E402
from perception.cameras import RGBDCamera, project  # noqa: E402
from perception.vision import VisionPerception  # noqa: E402
from sim.predicates import check  # noqa: E402
from sim.robot import SimRobot  # noqa: E402
from sim.scenario import COLORS, KINDS, ObjectSpec, SceneSpec  # noqa: E402


def test_backprojection_lands_on_the_object_tops():
    robot = SimRobot(SceneSpec(seed=1, objects=[ObjectSpec(name="red block", kind="block", color="red")]))
    f = RGBDCamera(robot, "front", 240, 240).capture()
    o = robot.state().objects["red block"]
    top = o.pos + np.array([0, 0, o.size[2]])
    u, v = project(top[None], f.intrinsics, f.extrinsics)[0]
    p = f.points()[int(v), int(u)]
    assert np.linalg.norm(p - top) < 0.01


@pytest.mark.parametrize("seed", [3, 11, 27, 42])
def test_scene_positions_match_the_truth(seed):
    robot = SimRobot(random_scene(seed))
    vis = VisionPerception(robot)
    truth = robot.state().objects
    for o in vis.scene():
        err = np.linalg.norm(np.array(o.pos[:2]) - truth[o.name].pos[:2])
        assert err < 0.015, (o.name, o.pos, truth[o.name].pos)
    assert {o.name for o in vis.scene()} == set(truth)


def test_every_kind_and_colour_is_found():
    # Two scenes cover all ten kinds; colours rotate so every colour appears.
    kinds = list(KINDS)
    for part, chunk in enumerate((kinds[:5], kinds[5:])):
        objs = [ObjectSpec(name=f"{COLORS[(i + 5 * part) % len(COLORS)]} {k}", kind=k,
                           color=COLORS[(i + 5 * part) % len(COLORS)]) for i, k in enumerate(chunk)]
        robot = SimRobot(SceneSpec(seed=5 + part, objects=objs))
        vis = VisionPerception(robot)
        truth = robot.state().objects
        for n, tr in vis.tracks.items():
            assert tr.seen, n
            assert np.linalg.norm(tr.pos[:2] - truth[n].pos[:2]) < 0.015, n
        # The blobs themselves are classified by shape without the names' help.
        kinds_seen = {d.name: d.kind for d in vis.last_detections if d.name}
        assert sum(kinds_seen[n] == truth[n].kind for n in kinds_seen) >= len(chunk) - 1


def _scene():
    return SceneSpec(seed=8, objects=[ObjectSpec(name="red cup", kind="cup", color="red"),
                                      ObjectSpec(name="blue block", kind="block", color="blue"),
                                      ObjectSpec(name="bin", kind="bin", at="right"),
                                      ObjectSpec(name="tray", kind="tray", at="left")])


def test_holds_agrees_with_the_truth_on_placed_configurations():
    robot = SimRobot(_scene())
    vis = VisionPerception(robot)
    st = robot.state().objects
    bin_, tray = st["bin"].pos, st["tray"].pos
    preds = ["in(red cup, bin)", "on(blue block, tray)", "left_of(red cup, blue block)", "right_of(red cup, blue block)",
             "near(red cup, blue block)", "untouched(tray)", "near(red cup, red cup@start)", "in(blue block, bin)"]
    configs = [
        {"red cup": [bin_[0], bin_[1], 0.06], "blue block": [tray[0], tray[1], 0.04]},
        {"red cup": [0.0, 0.05, 0.046], "blue block": [0.0, -0.06, 0.023]},
        {"red cup": [0.1, -0.02, 0.046], "blue block": [0.05, 0.04, 0.023]},
    ]
    for cfg in configs:
        robot.reset()
        for n, p in cfg.items():
            set_pose(robot, n, p)
        robot.act(robot.hold_action())
        robot.advance(0.6)
        vis.observe(force=True)
        truth = robot.state()
        for p in preds:
            assert vis.holds(p) == check(p, truth), (cfg, p)
