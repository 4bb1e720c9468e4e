"""Scenes: every kind and colour builds, regions, seeded placement, cameras, no welds."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from sim.kinds import KINDS, kind_info
from sim.layout import REGIONS, footprint, layout
from sim.mjcf import Placement, object_xml
from sim.robot import SimRobot
from sim.scenario import COLORS, KINDS as SCENARIO_KINDS, REGIONS as SCENARIO_REGIONS, SceneSpec


def scene(objects, seed=0):
    return SceneSpec.model_validate({"objects": objects, "seed": seed})


def test_every_scenario_kind_has_a_model():
    assert set(SCENARIO_KINDS) == set(KINDS)
    assert set(SCENARIO_REGIONS) == set(REGIONS)


@pytest.mark.parametrize("kinds", [("cup", "bowl", "block", "plate", "fork", "can"), ("trash", "bin", "basket", "tray")])
def test_every_kind_builds_and_rests_on_the_table(kinds):
    spec = scene([{"name": k, "kind": k} for k in kinds], seed=3)
    r = SimRobot(spec, cameras=())
    r.advance(0.5)
    st = r.state()
    assert set(st.objects) == set(kinds)
    for name, o in st.objects.items():
        half = kind_info(o.kind).half[2]
        assert abs(o.pos[2] - half) < 0.006, (name, o.pos)  # standing on the table top (z = 0)
        assert np.linalg.norm(o.pos - r.start_poses[name]) < 0.01, name  # and staying put
        assert not o.grasped


@pytest.mark.parametrize("color", COLORS)
def test_every_color_builds(color):
    spec = scene([{"name": "thing", "kind": "cup", "color": color}])
    r = SimRobot(spec, cameras=())
    rgba = r.model.geom_rgba[r.model.body_geomadr[r.model.body("obj0").id]]
    assert rgba[3] == 1.0 and r.colors["thing"] == color


def test_default_colors_differ_by_kind():
    r = SimRobot(scene([{"name": "b", "kind": "bin"}, {"name": "t", "kind": "tray"}]), cameras=())
    a = r.model.geom_rgba[r.model.body_geomadr[r.model.body("obj0").id]]
    b = r.model.geom_rgba[r.model.body_geomadr[r.model.body("obj1").id]]
    assert not np.allclose(a, b)


def test_unknown_kind_is_a_clear_error():
    with pytest.raises(ValidationError):
        scene([{"name": "x", "kind": "banana"}])
    with pytest.raises(ValueError, match="no model for an object of kind 'banana'"):
        kind_info("banana")
    with pytest.raises(ValueError, match="banana"):
        object_xml(0, Placement("x", "banana", None, 0, 0))


@pytest.mark.parametrize("region", SCENARIO_REGIONS)
def test_regions_put_objects_on_their_side(region):
    spec = scene([{"name": "b", "kind": "block", "at": region}], seed=5)
    (p,) = layout(spec)
    cx, cy = REGIONS[region]
    assert abs(p.x - cx) < 0.05 and abs(p.y - cy) < 0.05
    if "left" in region:
        assert p.y > 0.1  # left is +y, from the robot's view
    if "right" in region:
        assert p.y < -0.1
    if "front" in region:
        assert p.x < -0.08  # front is near the robot
    if "back" in region:
        assert p.x > 0.08


def test_seeded_layout_is_reproducible_and_without_overlaps():
    objs = [{"name": f"o{i}", "kind": k} for i, k in enumerate(["cup", "block", "can", "trash", "fork", "bowl", "plate"])]
    objs.append({"name": "bin", "kind": "bin", "at": "right"})
    a, b = layout(scene(objs, seed=11)), layout(scene(objs, seed=11))
    assert a == b
    assert a != layout(scene(objs, seed=12))
    for seed in range(10):
        ps = layout(scene(objs, seed=seed))
        for i, p in enumerate(ps):
            for q in ps[i + 1:]:
                hp, hq = footprint(p.kind, p.yaw), footprint(q.kind, q.yaw)
                sep = np.abs([p.x - q.x, p.y - q.y]) - (hp + hq)
                assert np.max(sep) > 0.0, (seed, p, q)


def test_too_many_objects_is_a_clear_error():
    with pytest.raises(ValueError, match="no free spot"):
        layout(scene([{"name": f"b{i}", "kind": "bin"} for i in range(12)]))


def test_no_weld_or_other_equality_constraints():
    r = SimRobot(scene([{"name": "cup", "kind": "cup"}]), cameras=())
    assert r.model.neq == 0
    assert r.model.njnt == 6 + 2 + 1  # arm hinges, two finger slides, the cup's free joint


def test_cameras_render_nontrivial_images():
    r = SimRobot(scene([{"name": "red cup", "kind": "cup", "color": "red"}, {"name": "bin", "kind": "bin", "at": "right"}]))
    obs = r.observe(render=True)
    assert set(obs.images) == {"front", "wrist"}
    for name, img in obs.images.items():
        assert img.shape == (224, 224, 3) and img.dtype == np.uint8, name
        assert img.std() > 10, name  # not a blank frame
    front = obs.images["front"].astype(int)
    redness = (front[..., 0] - front[..., 1:].max(axis=-1)) > 80
    assert redness.sum() > 5  # the red cup is visible from the front camera
    assert obs.joints.shape == (6,) and obs.ee_pos.shape == (3,)
    assert obs.gripper_width == pytest.approx(0.15, abs=1e-3)
    r.close()


def test_video_recorder_writes_files(tmp_path):
    from sim.video import FrameRecorder

    r = SimRobot(scene([{"name": "cup", "kind": "cup"}]), render_size=64)
    rec = FrameRecorder(every=2)
    r.recorder = rec
    r.advance(0.5)  # 10 control ticks -> 5 frames
    assert len(rec.frames) == 5 and rec.frames[0].shape == (64, 64, 3)
    for ext in ("mp4", "gif"):
        path = rec.save(tmp_path / f"ep.{ext}")
        assert path.exists() and path.stat().st_size > 1000
    rec.enabled = False
    r.advance(0.2)
    assert len(rec.frames) == 5
    r.close()


def test_a_scenario_whose_predicate_names_no_scene_object_fails_when_loaded(tmp_path):
    import json

    import pytest

    from sim.scenario import ScenarioError, load_scenarios

    good = {"id": "a", "scene": {"objects": [{"name": "red cup", "kind": "cup", "color": "red"},
                                             {"name": "bin", "kind": "bin"}]},
            "turns": [{"say": "Put the red cup in the bin."}],
            "expect": {"holds": ["in(red cup, bin)", "!near(Red Cup@start, bin)"]}}
    bad = dict(good, id="b", expect={"holds": ["in(green cup, bin)"]})
    typo = dict(good, id="c", expect={"holds": ["inside(red cup, bin)"]})
    p = tmp_path / "s.jsonl"
    p.write_text(json.dumps(good) + "\n")
    assert [s.id for s in load_scenarios(p)] == ["a"]
    for line, words in ((bad, ["s.jsonl:2", "green cup", "not in the scene", "red cup, bin"]),
                        (typo, ["s.jsonl:2", "unknown predicate", "inside"])):
        p.write_text(json.dumps(good) + "\n" + json.dumps(line) + "\n")
        with pytest.raises(ScenarioError) as e:
            load_scenarios(p)
        assert all(w in str(e.value) for w in words), str(e.value)
