"""The command line as a person uses it: clear errors for bad input, jobs, memory, videos."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from agent.cli import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, list(args))


def scene_file(tmp_path, objects, seed=1):
    p = tmp_path / "scene.json"
    p.write_text(json.dumps({"objects": objects, "seed": seed}))
    return p


CUP_AND_BIN = [{"name": "red cup", "kind": "cup", "color": "red"}, {"name": "bin", "kind": "bin", "at": "right"}]


def test_empty_instruction_says_what_to_do(home):
    r = run("do", "   ")
    assert r.exit_code == 2
    assert "instruction is empty" in r.output


def test_an_unknown_speech_model_is_named_before_anything_runs(home, tmp_path):
    r = run("demo", "--voice", "--asr-model", str(tmp_path / "no-such-model"), "--record", str(tmp_path / "d.mp4"))
    assert r.exit_code == 2
    assert "unknown speech model" in r.output and "CTranslate2" in r.output
    assert "demo job" not in r.output and not (tmp_path / "d.mp4").exists()


def test_unknown_scene_kind_is_a_clear_error(home, tmp_path):
    p = scene_file(tmp_path, [{"name": "banana", "kind": "banana"}])
    r = run("do", "put the banana away", "--scene", str(p))
    assert r.exit_code == 2
    assert "malformed scene" in r.output and "banana" in r.output and "kind" in r.output


def test_malformed_scenario_line_names_file_and_line(home, tmp_path):
    good = json.dumps({"id": "a", "scene": {"objects": CUP_AND_BIN}, "turns": [{"say": "Put the cup in the bin."}]})
    f = tmp_path / "s.jsonl"
    f.write_text(good + "\n{not json\n")
    r = run("eval", str(f), "--text")
    assert r.exit_code == 2
    assert f"{f}:2" in r.output and "not valid JSON" in r.output
    f.write_text(good + "\n" + json.dumps({"id": "b", "scene": {"objects": []}, "turns": [{"say": "x", "when": "soon"}]}))
    r = run("eval", str(f), "--text")
    assert r.exit_code == 2 and f"{f}:2" in r.output and "when" in r.output


def test_do_runs_a_job_shows_the_plan_and_writes_a_video(home, tmp_path):
    p = scene_file(tmp_path, CUP_AND_BIN)
    video = tmp_path / "ep.gif"
    r = run("do", "put the red cup in the bin", "--scene", str(p), "--record", str(video))
    assert r.exit_code == 0, r.output
    assert "plan (rules)" in r.output and "step 1" in r.output
    assert "1 step(s) done, 0 not done" in r.output
    assert video.exists() and video.stat().st_size > 10_000
    logs = list((home / "sessions").glob("*/events.jsonl"))
    assert len(logs) == 1


def test_a_refusal_is_said_and_nothing_moves(home, tmp_path):
    p = scene_file(tmp_path, CUP_AND_BIN)
    r = run("do", "put the banana in the bin", "--scene", str(p))
    assert r.exit_code == 1  # a refused job is not a job done
    assert "banana" in r.output and "step 1" not in r.output


def test_job_script_stops_clearly_when_a_question_cannot_be_answered(home, tmp_path):
    p = scene_file(tmp_path, [{"name": "red cup", "kind": "cup", "color": "red"},
                              {"name": "blue cup", "kind": "cup", "color": "blue"},
                              {"name": "bin", "kind": "bin", "at": "right"}])
    job = tmp_path / "job.md"
    job.write_text("# two cups\nPut the cup in the bin.\n\nThen go home.\n")
    r = run("run", str(job), "--scene", str(p), "--no-input")
    assert r.exit_code == 1
    assert "no answer was available" in r.output and "--answers" in r.output
    answers = tmp_path / "answers.txt"
    answers.write_text("the blue one\n")
    r = run("run", str(job), "--scene", str(p), "--answers", str(answers), "--no-input")
    assert r.exit_code == 0, r.output
    assert "put the blue cup in the bin" in r.output.lower()


def test_memory_list_and_forget(home, tmp_path):
    p = scene_file(tmp_path, CUP_AND_BIN)
    r = run("do", "from now on, cups go in the bin", "--scene", str(p))
    assert r.exit_code == 0, r.output
    r = run("memory", "list")
    assert "cups go in the bin" in r.output
    r = run("memory", "forget", "cups")  # part of a preference: asks which, forgets nothing
    assert r.exit_code == 1 and "which one" in r.output and "cups go in the bin" in run("memory", "list").output
    r = run("memory", "forget", "cups go in the bin")
    assert r.exit_code == 0 and "forgot" in r.output
    assert "nothing remembered" in run("memory", "list").output
    r = run("memory", "forget", "anything")
    assert r.exit_code == 1 and "memory list" in r.output


def test_resume_with_nothing_to_resume_says_so(home):
    r = run("resume")
    assert r.exit_code == 2 and "no unfinished session" in r.output
