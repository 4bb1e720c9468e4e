"""A clone anywhere finds the public scenarios beside it (../shared), as the command line does:
the public-scenario test runs and the speech benchmark finds its scenarios."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


def _tracked_files() -> list[str]:
    r = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip("not a git checkout")
    return [f for f in r.stdout.split("\0") if f]


@pytest.fixture(scope="module")
def clone_elsewhere(tmp_path_factory):
    if not (SHARED / "eval" / "public.jsonl").exists():
        pytest.skip("no ../shared beside this checkout")
    base = tmp_path_factory.mktemp("elsewhere")
    clone = base / "hirobot"
    for f in _tracked_files():
        src = ROOT / f
        if src.is_file():
            (clone / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, clone / f)
    # A scenario file of its own (three scenarios), so finding some other copy would show.
    lines = (SHARED / "eval" / "public.jsonl").read_text().splitlines()[:3]
    (base / "shared" / "eval").mkdir(parents=True)
    (base / "shared" / "eval" / "public.jsonl").write_text("\n".join(lines) + "\n")
    return clone


def _in(clone: Path, code: str) -> str:
    r = subprocess.run([sys.executable, "-c", code], cwd=clone, capture_output=True, text=True, timeout=300,
                       env={**os.environ, "PYTHONPATH": str(clone)})
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout.strip()


def test_the_public_scenario_test_finds_its_scenarios(clone_elsewhere):
    n = _in(clone_elsewhere, "import tests.test_rules_planner_public as t; print(len(t.SCENARIOS))")
    assert int(n) == 3


def test_the_speech_benchmark_finds_its_scenarios(clone_elsewhere):
    out = _in(clone_elsewhere, "import bench.bench_speech as b; print(len(b.DEFAULT_SCENARIOS.read_text().splitlines()))")
    assert out == "3"


def test_the_command_line_finds_them_too(clone_elsewhere):
    out = _in(clone_elsewhere, "import agent.cli as c; print(len(c.DEFAULT_SCENARIOS.read_text().splitlines()))")
    assert out == "3"
