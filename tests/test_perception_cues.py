"""Change cues, step checks, the cue policy, and the drop_first_grasp perturbation."""

from __future__ import annotations

import os

os.environ.setdefault("MUJOCO_GL", "egl")

import numpy as np  # noqa: E402

from agent.events import Cue  # noqa: E402
from agent.schema import PlanStep, SceneObject  # noqa: E402
from bench.bench_perception import set_pose  # noqa: E402
from perception.changes import ChangeWatcher  # noqa: E402
from perception.checks import check_step  # noqa: E402
from perception.cue_policy import CuePolicy, decide  # noqa: E402
from perception.state import StatePerception  # noqa: E402
from perception.vision import VisionPerception  # noqa: E402
from sim.robot import SimRobot  # noqa: E402
from sim.scenario import ObjectSpec, SceneSpec  # noqa: E402
from skills.builtin.args import PlaceArgs  # noqa: E402
from skills.builtin.place import PlaceSkill  # noqa: E402
from skills.drive import drive  # noqa: E402

SCENE = SceneSpec(seed=4, objects=[ObjectSpec(name="red cup", kind="cup", color="red"),
                                   ObjectSpec(name="green block", kind="block", color="green"),
                                   ObjectSpec(name="bin", kind="bin", at="right")])


def _obj(name, pos, held=False):
    return SceneObject(name=name, kind="cup", pos=pos, held=held)


def test_watcher_reports_a_move_once_and_ignores_the_manipulated_object():
    w = ChangeWatcher()
    assert w.update([_obj("a", (0, 0, 0)), _obj("b", (0.1, 0, 0))]) == []
    cues = w.update([_obj("a", (0.2, 0, 0)), _obj("b", (0.1, 0.3, 0))], manipulated={"a"})
    assert [c.detail["object"] for c in cues] == ["b"]
    c = cues[0]
    assert (c.source, c.kind) == ("vision", "object_moved") and c.detail["from"][:2] == [0.1, 0.0]
    assert w.update([_obj("a", (0.2, 0, 0)), _obj("b", (0.1, 0.3, 0))]) == []  # reported once
    assert w.update([_obj("b", (0.1, 0.302, 0))]) == []  # noise is not a move
    assert w.update([_obj("b", (float("nan"),) * 3)]) == []  # hidden is not moved


def test_a_person_moving_an_object_is_noticed_by_vision():
    robot = SimRobot(SCENE)
    vis = VisionPerception(robot)
    w = ChangeWatcher()
    w.update(vis.scene())
    set_pose(robot, "green block", [0.15, 0.25, 0.023])  # a person puts it elsewhere
    robot.advance(0.3)
    cues = w.update(vis.scene(), manipulated={"red cup"})
    assert [c.detail["object"] for c in cues] == ["green block"]
    assert np.allclose(cues[0].detail["to"][:2], [0.15, 0.25], atol=0.015)


def test_move_second_object_perturbation_is_noticed_during_the_first_step():
    robot = SimRobot(SCENE, perturbation="move_second_object_during_first_step")
    w = ChangeWatcher()
    state = StatePerception(robot)
    w.update(state.scene())
    robot.begin_step(0)
    cues = []
    for _ in range(40):  # 2 s with the arm holding still: the person moves it at 1.5 s
        robot.act(robot.hold_action())
        robot.advance(0.05)
        cues += w.update(state.scene(), manipulated={"red cup"})
    assert [c.detail["object"] for c in cues] == ["green block"]


def test_step_check_from_vision():
    robot = SimRobot(SCENE)
    vis = VisionPerception(robot)
    step = PlanStep(skill="place", args={"object": "red cup", "relation": "in", "target": "bin"})
    assert not check_step(vis, step).ok
    b = robot.state().objects["bin"].pos
    set_pose(robot, "red cup", [b[0], b[1], 0.07])
    robot.act(robot.hold_action())
    robot.advance(0.6)
    r = check_step(vis, step)
    assert r.ok and r.expected == ["in(red cup, bin)"]
    assert check_step(vis, PlanStep(skill="home")).ok  # promises nothing checkable


def test_cue_policy_defaults_and_overrides():
    def cue(kind, **d):
        return Cue(source="sound", kind=kind, detail=d)

    assert decide(cue("glass_breaking")) == "stop"
    assert decide(cue("crash")) == "stop"
    assert decide(cue("scream")) == "stop"
    assert decide(cue("alarm")) == "pause_and_ask"
    assert decide(cue("object_moved")) == "note_and_continue"
    assert decide(cue("something_new")) == "pause_and_ask"
    p = CuePolicy(reactions={"alarm": "stop"}, min_confidence=0.6)
    assert decide(cue("alarm", confidence=0.9), p) == "stop"
    assert decide(cue("alarm", confidence=0.4), p) == "note_and_continue"


def test_drop_first_grasp_fails_the_place_then_a_retry_succeeds():
    robot = SimRobot(SCENE, perturbation="drop_first_grasp")
    args = PlaceArgs(object="red cup", relation="in", target="bin")
    first = drive(PlaceSkill(), args, robot)
    assert not first.ok, first
    second = drive(PlaceSkill(), args, robot)
    assert second.ok, second
    assert StatePerception(robot).holds("in(red cup, bin)")
