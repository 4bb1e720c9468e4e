"""A full disk: a clear message, the arm at rest, a non-zero exit, never a crash; and once
space is freed, `hirobot resume` finishes the job."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agent import events as ev
from agent.config import SessionConfig
from agent.session import Session
from sim.scenario import ObjectSpec, SceneSpec

ROOT = Path(__file__).resolve().parent.parent
HIROBOT = Path(sys.executable).parent / "hirobot"
SCENE = {"seed": 3, "objects": [{"name": "red cup", "kind": "cup", "color": "red", "at": "front-left"},
                                {"name": "blue cup", "kind": "cup", "color": "blue", "at": "front-right"},
                                {"name": "tray", "kind": "tray", "at": "back"}]}
JOB = "put the red cup on the tray, then put the blue cup on the tray"


def test_the_disk_filling_mid_step_stops_the_arm_at_rest_and_says_so(tmp_path, monkeypatch):
    s = Session(SceneSpec.model_validate(SCENE), SessionConfig(home=tmp_path))
    real_write = s.log._f.write
    box = {}

    def write(text):
        if "ticks" in box:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(text)

    def on_tick(handle, obs):
        box["handle"] = handle
        box["ticks"] = box.get("ticks", 0) + 1
        if box["ticks"] == 20:  # mid-step, something is logged (a cue heard, a line said)
            s.bus.publish(ev.Cue(source="sound", kind="noise"))

    monkeypatch.setattr(s.log._f, "write", write)
    s.executor.on_tick = on_tick
    r = s.say(JOB)
    handle = box["handle"]
    unfinished = s.unfinished()
    s.close()
    assert r.outcome == "disk full"
    assert any("full" in e and "hirobot resume" in e for e in r.errors)
    assert handle.done and handle.outcome.status.value == "cancelled"
    assert handle.rest_at is not None, "the arm was brought to rest"
    assert unfinished, "the job stays resumable from its last saved step"


def _mount_tmpfs(path: Path, size: str = "1m") -> bool:
    if os.geteuid() != 0:
        return False
    path.mkdir(parents=True, exist_ok=True)
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                          capture_output=True).returncode == 0


def _hirobot(home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(HIROBOT), *args], capture_output=True, text=True, timeout=300, cwd=ROOT,
                          env={**os.environ, "HIROBOT_HOME": str(home), "COLUMNS": "300",
                               "PYTHONPATH": str(ROOT)})


def test_a_real_full_disk_at_many_fill_levels(tmp_path):
    disk = tmp_path / "disk"
    if not _mount_tmpfs(disk):
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    scene = tmp_path / "scene.json"
    scene.write_text(json.dumps(SCENE))
    failed_mid_job, resumed = [], []
    try:
        for kb in (1010, 990, 960, 900, 840, 800, 760):
            for p in disk.iterdir():
                subprocess.run(["rm", "-rf", str(p)])
            (disk / "filler").write_bytes(b"\0" * kb * 1024)
            home = disk / "home"
            r = _hirobot(home, "do", JOB, "--scene", str(scene), "--no-input")
            out = r.stdout + r.stderr
            assert r.returncode in (0, 1), (kb, r.returncode, out[-2000:])
            assert "Traceback" not in out and "Error:" not in out, (kb, out[-2000:])
            if r.returncode == 1:
                assert "free some space" in " ".join(out.lower().split()), (kb, out[-1500:])
                logs = list(home.glob("sessions/*/events.jsonl"))
                if logs and '"step_started"' in logs[0].read_text(errors="replace"):
                    failed_mid_job.append(kb)
                if "hirobot resume" in out:
                    (disk / "filler").unlink()
                    again = _hirobot(home, "resume", "--no-input")
                    assert again.returncode == 0, (kb, again.stdout[-1500:] + again.stderr[-1500:])
                    assert "done: 2 step(s) done" in again.stdout
                    resumed.append(kb)
        assert failed_mid_job, "no fill level ran out of space after the job had started"
        assert resumed, "no job was left resumable"
    finally:
        subprocess.run(["umount", "-l", str(disk)])
