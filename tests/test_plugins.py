"""Skills from installed packages: the example plugin is installed, listed, offered to the
planner and run in the simulator; a broken plugin is reported and skipped."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from skills.registry import load_registry

ROOT = Path(__file__).resolve().parent.parent
PLUGIN = ROOT / "examples" / "hirobot-push"
BIN = Path(sys.executable).parent


def _hirobot(*args: str, home: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "hirobot"), *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "HIROBOT_HOME": str(home), "COLUMNS": "200"})


@pytest.fixture(scope="module")
def installed_plugin():
    r = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                        str(PLUGIN)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    yield
    # The plugin stays installed: the environment is the project's own, and later runs reinstall it.


def test_plugin_is_listed_with_its_arguments(installed_plugin, tmp_path):
    r = _hirobot("skills", "--json", home=tmp_path)
    assert r.returncode == 0, r.stderr
    catalogue = {c["name"]: c for c in json.loads(r.stdout)}
    assert {"place", "put_back", "home", "push"} <= set(catalogue)
    props = catalogue["push"]["args"]["properties"]
    assert props["direction"]["enum"] == ["left", "right", "forward", "back"]
    table = _hirobot("skills", home=tmp_path)
    assert "hirobot-push" in table.stdout  # where it came from


def test_plugin_is_offered_to_the_planner_and_runs_in_the_simulator(installed_plugin, tmp_path):
    scene = tmp_path / "scene.json"
    scene.write_text(json.dumps({"seed": 3, "objects": [
        {"name": "red block", "kind": "block", "color": "red", "at": "center"},
        {"name": "bin", "kind": "bin", "at": "right"}]}))
    r = _hirobot("do", "push the red block to the left", "--scene", str(scene), "--no-input", home=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    log = next((tmp_path / "sessions").glob("*/events.jsonl"))
    events = [json.loads(line) for line in log.read_text().splitlines()]
    plan = next(e for e in events if e["type"] == "plan")
    assert plan["steps"][0]["skill"] == "push" and plan["steps"][0]["args"]["direction"] == "left"
    done = next(e for e in events if e["type"] == "step_finished")
    assert done["status"] == "success" and "left" in done["reason"]


def test_a_broken_plugin_is_reported_and_skipped(tmp_path, monkeypatch):
    # A distribution whose entry point names a module that fails to import.
    dist = tmp_path / "broken_skill-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-skill\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[hirobot.skills]\nexplode = broken_skill_mod:Explode\n")
    (tmp_path / "broken_skill_mod.py").write_text("raise ImportError('needs a library that is not installed')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    reg = load_registry()
    assert "explode" not in reg
    assert {"place", "put_back", "home"} <= set(reg.names())
    assert any("explode" in p and "broken-skill" in p and "not installed" in p for p in reg.problems)
