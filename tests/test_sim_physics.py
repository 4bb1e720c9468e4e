"""The arm itself: IK accuracy, servo tracking, grasping by friction alone, perturbations, threads."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from sim.kinematics import IKError, quat_down, quat_error, tool_yaw
from sim.robot import SimRobot
from sim.scenario import SceneSpec
from skills.api import Action, Robot


def scene(objects, seed=0):
    return SceneSpec.model_validate({"objects": objects, "seed": seed})


@pytest.fixture(scope="module")
def empty():
    return SimRobot(scene([]), cameras=())


def test_implements_the_robot_protocol(empty):
    assert isinstance(empty, Robot)
    assert empty.joint_names == ["j1", "j2", "j3", "j4", "j5", "j6"]
    assert empty.home_joints.shape == (6,)
    act = empty.hold_action()
    assert act.joints.shape == (6,) and act.gripper == 0.0


def test_ik_reaches_the_workspace_pointing_down(empty):
    rng = np.random.default_rng(0)
    for _ in range(40):
        p = np.array([rng.uniform(-0.22, 0.24), rng.uniform(-0.34, 0.34), rng.uniform(0.02, 0.3)])
        yaw = float(np.arctan2(p[1], p[0] + 0.52) + rng.uniform(-1.5, 1.5))
        q = empty.ik(p, quat_down(yaw))
        pos, quat = empty.fk(q)
        assert np.linalg.norm(pos - p) < 2e-3
        assert np.linalg.norm(quat_error(quat_down(yaw), quat)) < 0.02
        assert abs(np.angle(np.exp(1j * (tool_yaw(quat) - yaw)))) < 0.02


def test_ik_refuses_the_unreachable(empty):
    with pytest.raises(IKError, match="out of reach"):
        empty.ik(np.array([1.5, 0.0, 0.1]), quat_down(0.0))


def test_servos_track_joint_targets():
    r = SimRobot(scene([]), cameras=())
    q = r.ik(np.array([0.1, 0.15, 0.12]), quat_down(0.4))
    q0 = r.observe().joints
    for s in np.linspace(0, 1, 40):
        r.act(Action(q0 + s * (q - q0), 0.0))
        r.advance(0.05)
    r.advance(0.3)
    obs = r.observe()
    assert np.max(np.abs(obs.joints - q)) < 5e-3
    assert np.linalg.norm(obs.ee_pos - [0.1, 0.15, 0.12]) < 5e-3
    assert obs.t == pytest.approx(2.3, abs=1e-6)


def _move(r, q_from, q_to, grip, ticks=20):
    for s in np.linspace(0, 1, ticks):
        r.act(Action(q_from + s * (q_to - q_from), grip))
        r.advance(0.05)
    return q_to


def test_a_block_is_lifted_by_friction_alone():
    r = SimRobot(scene([{"name": "block", "kind": "block", "at": "center"}], seed=2), cameras=())
    assert r.model.neq == 0
    b = r.observe().objects["block"]
    from sim.kinematics import heading

    yaw = heading(b.quat)
    above = r.ik(b.pos + [0, 0, 0.15], quat_down(yaw))
    at = r.ik(np.array([b.pos[0], b.pos[1], 0.024]), quat_down(yaw))
    q = _move(r, r.observe().joints, above, 0.4, 30)
    q = _move(r, q, at, 0.4)
    for g in np.linspace(0.4, 1.0, 10):
        r.act(Action(q, g))
        r.advance(0.05)
    r.advance(0.3)
    obs = r.observe()
    assert obs.contacts["block"] and obs.objects["block"].grasped
    assert 0.04 < obs.gripper_width < 0.05  # the fingers stop on the 4.4 cm block
    q = _move(r, q, above, 1.0)
    r.advance(0.5)
    obs = r.observe()
    assert obs.objects["block"].pos[2] > 0.15  # lifted 15 cm, held only by the pads
    assert obs.contacts["block"]
    assert "block" in r.state().ever_grasped
    # Open: it falls back to the table, nothing holds it.
    r.act(Action(q, 0.0))
    r.advance(1.0)
    obs = r.observe()
    assert obs.objects["block"].pos[2] < 0.03 and not obs.contacts["block"]


def test_observe_act_advance_are_thread_safe():
    r = SimRobot(scene([{"name": "cup", "kind": "cup"}]), render_size=64)
    errors = []

    def control():
        try:
            for _ in range(40):
                r.act(r.hold_action())
                r.advance(0.05)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    t = threading.Thread(target=control)
    t.start()
    for _ in range(20):
        obs = r.observe(render=True)  # a second thread renders with its own GL context
        assert obs.images["front"].shape == (64, 64, 3)
    t.join()
    assert not errors
    assert r.observe().t == pytest.approx(2.0, abs=1e-6)
    r.close()


def test_reset_restores_the_start():
    r = SimRobot(scene([{"name": "cup", "kind": "cup"}]), cameras=())
    start = r.start_poses["cup"].copy()
    r.data.qpos[r._obj_qadr[0]] += 0.1  # disturb it directly; reset must undo it
    r.advance(0.2)
    r.reset()
    assert np.allclose(r.observe().objects["cup"].pos, start, atol=1e-3)
    assert r.observe().t == 0.0


def test_person_moves_the_second_object_during_the_first_step():
    spec = scene([{"name": "red cup", "kind": "cup"}, {"name": "green cup", "kind": "cup"},
                  {"name": "bin", "kind": "bin", "at": "right"}], seed=26)
    r = SimRobot(spec, perturbation="move_second_object_during_first_step", cameras=())
    before = r.observe().objects["green cup"].pos.copy()
    r.begin_step(0)
    r.advance(1.0)
    assert np.allclose(r.observe().objects["green cup"].pos, before, atol=1e-3)
    r.advance(1.0)
    after = r.observe().objects["green cup"].pos
    assert np.linalg.norm(after[:2] - before[:2]) > 0.08
    r.advance(0.5)
    assert abs(r.observe().objects["green cup"].pos[2] - 0.045) < 0.005  # standing on the table


def test_unknown_perturbation_is_rejected():
    with pytest.raises(ValueError, match="unknown perturbation"):
        SimRobot(scene([]), perturbation="earthquake")
