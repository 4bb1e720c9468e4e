"""Bad files and settings: one line that names the file, the problem and the fix; never a
traceback."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from typer.testing import CliRunner

from agent.cli import app

runner = CliRunner()
SCENE = {"objects": [{"name": "red cup", "kind": "cup", "color": "red"}, {"name": "bin", "kind": "bin", "at": "right"}]}


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("HIROBOT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", "300")
    return tmp_path / "home"


def _one_clear_line(r, *words):
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert r.exit_code == 2, r.output
    text = " ".join(r.output.split())
    assert "Traceback" not in r.output and text.startswith("error:"), r.output
    for w in words:
        assert w.lower() in text.lower(), (w, text)


def _encoded(tmp_path, name, text, encoding):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


BAD_BYTES = {
    "utf16": lambda t: t.encode("utf-16"),
    "latin1": lambda t: t.replace("cup", "cupé").encode("latin-1"),
    "binary": lambda t: bytes(range(256)) * 4,
}


@pytest.mark.parametrize("kind", sorted(BAD_BYTES))
def test_a_job_file_that_is_not_utf8_text(home, tmp_path, kind):
    job = tmp_path / "job.md"
    job.write_bytes(BAD_BYTES[kind]("Put the red cup in the bin.\n"))
    _one_clear_line(runner.invoke(app, ["run", str(job)]), str(job), "UTF-8")


@pytest.mark.parametrize("kind", sorted(BAD_BYTES))
def test_a_scene_file_that_is_not_utf8_text(home, tmp_path, kind):
    scene = tmp_path / "scene.json"
    scene.write_bytes(BAD_BYTES[kind](json.dumps(SCENE)))
    _one_clear_line(runner.invoke(app, ["do", "put the red cup in the bin", "--scene", str(scene)]), str(scene),
                    "UTF-8")


def test_a_scenario_file_that_is_not_utf8_text(home, tmp_path):
    f = tmp_path / "s.jsonl"
    f.write_bytes("{}".encode("utf-16"))
    _one_clear_line(runner.invoke(app, ["eval", str(f)]), str(f), "UTF-8")


@pytest.mark.parametrize("args", [["run", "{dir}"], ["do", "go home", "--scene", "{dir}"], ["eval", "{dir}"],
                                  ["do", "go home", "--answers", "{dir}"]])
def test_a_folder_given_as_a_file(home, tmp_path, args):
    r = runner.invoke(app, [a.format(dir=tmp_path) for a in args])
    _one_clear_line(r, str(tmp_path), "folder")


def test_a_scene_with_more_objects_than_the_table_holds(home, tmp_path):
    scene = tmp_path / "crowded.json"
    scene.write_text(json.dumps({"objects": [{"name": f"cup {i}", "kind": "cup"} for i in range(30)]}))
    _one_clear_line(runner.invoke(app, ["do", "go home", "--scene", str(scene)]), str(scene), "too many objects")


def test_a_negative_seed(home, tmp_path):
    scene = tmp_path / "seed.json"
    scene.write_text(json.dumps({**SCENE, "seed": -5}))
    _one_clear_line(runner.invoke(app, ["do", "go home", "--scene", str(scene)]), str(scene), "seed")


@pytest.mark.parametrize("table", ['timeout_s = "fast"', "stream = 3", 'base_url = 42', "max_retries = -1"])
def test_wrong_openai_setting_types(home, tmp_path, table):
    config = tmp_path / "hirobot.toml"
    config.write_text(f'planner = "openai"\n[openai]\n{table}\n')
    r = runner.invoke(app, ["do", "go home", "--config", str(config)])
    _one_clear_line(r, str(config), "[openai]", table.split(" =")[0])


def test_a_config_file_that_is_not_toml(home, tmp_path):
    config = tmp_path / "hirobot.toml"
    config.write_bytes(b"\xff\xfeplanner")
    _one_clear_line(runner.invoke(app, ["do", "go home", "--config", str(config)]), str(config))


def _read_only(path):
    """A folder nobody may write to, root included (a read-only mount), or None."""
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        path.chmod(0o555)
        return path
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(path)], capture_output=True)
    return path if r.returncode == 0 else None


def test_a_read_only_home(tmp_path, monkeypatch):
    ro = _read_only(tmp_path / "ro")
    if ro is None:
        pytest.skip("cannot make a read-only folder here")
    monkeypatch.setenv("HIROBOT_HOME", str(ro))
    monkeypatch.setenv("COLUMNS", "300")
    try:
        for args in (["do", "go home"], ["memory", "list"]):
            _one_clear_line(runner.invoke(app, args), str(ro), "HIROBOT_HOME")
    finally:
        if os.geteuid() == 0:
            subprocess.run(["umount", str(ro)])
