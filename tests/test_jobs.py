from pathlib import Path

import pytest

from agent.jobs import JobScriptError, load_job, parse_job


def test_paragraphs_become_instructions_and_comments_are_skipped(tmp_path):
    job = parse_job("scene: scenes/kitchen.json\n\n# Tidy up\nThrow the trash away.\n\nPut the cups on the tray,\n"
                    "then the fork left of the plate.\n\n\n", base=tmp_path)
    assert job.instructions == ["Throw the trash away.",
                                "Put the cups on the tray, then the fork left of the plate."]
    assert job.scene == tmp_path / "scenes/kitchen.json"


def test_empty_and_missing_jobs_say_what_is_wrong(tmp_path):
    with pytest.raises(JobScriptError, match="no instructions"):
        parse_job("# only a title\n\n")
    with pytest.raises(JobScriptError, match="no such job file"):
        load_job(tmp_path / "missing.md")


def test_shipped_jobs_parse():
    jobs = sorted(Path(__file__).resolve().parent.parent.joinpath("jobs").glob("*.md"))
    assert jobs, "example jobs ship in jobs/"
    for j in jobs:
        script = load_job(j)
        assert script.instructions
        assert script.scene is None or script.scene.exists(), f"{j}: scene file {script.scene} is missing"
