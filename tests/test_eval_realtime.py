"""`hirobot eval FILE --text --realtime` against a served planner that answers the first turn
at once and every later turn only after 10 s: the world runs by the wall clock, so the
planner's latency counts, and still a typed "Stop!" halts the arm at once (control words
never wait for a planner), a "Wait." / "Okay, go on." pauses and resumes, and an instruction
typed while the arm moves is acted on once the slow answer comes.

The command runs as a separate process against a real HTTP server (the chat completions
protocol), as it would against a model server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agent.schema import PlannerTurn, PlanStep
from tests.openai_stub_server import StubReply, StubServer, utterance_of

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = ROOT.parent / "shared" / "eval" / "public.jsonl"
LATER_TURN_S = 10.0


def _place(obj: str) -> PlanStep:
    return PlanStep(skill="place", args={"object": obj, "relation": "in", "target": "bin"},
                    instruction=f"put the {obj} in the bin")


ANSWERS = {
    "Put the red cup in the bin.": PlannerTurn(say="Okay.", steps=[_place("red cup")]),
    "Put both cups in the bin.": PlannerTurn(say="Okay.", steps=[_place("red cup"), _place("blue cup")]),
    "And the blue cup too.": PlannerTurn(say="And the blue cup.", steps=[_place("blue cup")]),
}

OWN = {"id": "slow-addition", "tags": ["interject", "realtime"],
       "scene": {"objects": [{"name": "red cup", "kind": "cup", "color": "red"},
                             {"name": "blue cup", "kind": "cup", "color": "blue"},
                             {"name": "bin", "kind": "bin", "at": "right"}], "seed": 17},
       "turns": [{"say": "Put the red cup in the bin."}, {"say": "And the blue cup too.", "when": "moving"}],
       "expect": {"holds": ["in(red cup, bin)", "in(blue cup, bin)"]}}


@pytest.fixture()
def slow_server():
    seen: list[str] = []

    def respond(request: dict):
        said = utterance_of(request)
        seen.append(said)
        turn = ANSWERS.get(said, PlannerTurn(say="Sorry?", refused=True)).model_dump_json()
        return turn if len(seen) == 1 else StubReply(content=turn, delay_s=LATER_TURN_S)

    stub = StubServer(respond).start()
    yield stub, seen
    stub.stop()


def _eval(tmp_path: Path, scenarios: list[dict], url: str) -> dict:
    path = tmp_path / "scenarios.jsonl"
    path.write_text("".join(json.dumps(s) + "\n" for s in scenarios))
    report = tmp_path / "report.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HIROBOT_HOME": str(tmp_path / "home")}
    run = subprocess.run([sys.executable, "-m", "agent.cli", "eval", str(path), "--text", "--realtime",
                          "--planner-url", url, "--planner-model", "stub", "--report", str(report)],
                         env=env, capture_output=True, text=True, timeout=300)
    assert report.exists(), run.stdout + run.stderr
    out = json.loads(report.read_text())
    out["exit"] = run.returncode
    return out


@pytest.mark.skipif(not PUBLIC.exists(), reason="public scenarios are not here")
def test_typed_stop_halts_the_arm_though_later_turns_take_10_s(tmp_path, slow_server):
    stub, seen = slow_server
    (stop,) = [json.loads(line) for line in PUBLIC.read_text().splitlines() if '"id": "stop-001"' in line]
    out = _eval(tmp_path, [stop], stub.base_url)
    (r,) = out["scenarios"]
    assert out["realtime"] is True
    assert r["success"], r["problems"]
    assert r["halted"] is True and r["stop_to_rest_s"] is not None
    assert r["stop_to_rest_s"] <= 0.3, r["stop_to_rest_s"]
    assert "!in(red cup, bin)" not in r["failed_predicates"], "the cup was not placed"
    assert seen == ["Put the red cup in the bin."], "the stop never waited for the planner"
    assert out["exit"] == 0


@pytest.mark.skipif(not PUBLIC.exists(), reason="public scenarios are not here")
def test_a_slow_later_turn_is_acted_on_when_it_comes(tmp_path, slow_server):
    stub, seen = slow_server
    out = _eval(tmp_path, [OWN], stub.base_url)
    (r,) = out["scenarios"]
    assert r["success"], r["problems"]
    assert seen == ["Put the red cup in the bin.", "And the blue cup too."]
    assert r["wall_s"] >= LATER_TURN_S, "the later answer took 10 s of wall time and was still acted on"

