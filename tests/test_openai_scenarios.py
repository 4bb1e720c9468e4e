"""The public scenarios through the `openai` planner: a real HTTP server speaking the chat
completions protocol (streaming), answering as the rules planner would for the input the
client sent. This exercises the whole path: prompt, response schema, stream parsing, step
validation and dispatch into the simulator."""

from __future__ import annotations

import queue
from pathlib import Path

import pytest

import agent.session as session_mod
from agent.config import SessionConfig
from agent.evaluate import run_scenario
from agent.planners.openai_backend import OpenAIPlanner, OpenAIPlannerConfig
from agent.planners.rules import RulesPlanner
from sim.scenario import load_scenarios
from tests.openai_stub_server import StubServer, utterance_of

PUBLIC = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "public.jsonl"


class _Relay:
    """Hands the server the planner input of the request it is answering (one call at a time)."""

    def __init__(self) -> None:
        self.inputs: "queue.Queue" = queue.Queue()
        self.rules = RulesPlanner()
        self.checked = 0

    def respond(self, request: dict) -> str:
        inp = self.inputs.get(timeout=10)
        assert utterance_of(request) == inp.utterance, "the prompt carries what the person said"
        assert request["response_format"]["type"] == "json_schema" and "guided_json" not in request
        self.checked += 1
        return self.rules.plan(inp).model_dump_json()


@pytest.fixture(scope="module")
def served():
    relay = _Relay()
    stub = StubServer(relay.respond, token_rate=None).start()
    yield relay, stub
    stub.stop()


def _cases():
    if not PUBLIC.exists():
        return [pytest.param(None, marks=pytest.mark.skip(reason="public scenarios are not here"))]
    return [pytest.param(sc, id=sc.id) for sc in load_scenarios(PUBLIC)]


@pytest.mark.parametrize("scenario", _cases())
def test_public_scenario_through_the_openai_planner(scenario, served, tmp_path, monkeypatch):
    relay, stub = served
    calls = []

    class Relayed(OpenAIPlanner):
        def plan(self, inp, on_step=None, cancel=None):
            relay.inputs.put(inp)
            turn = super().plan(inp, on_step=on_step)
            calls.append(dict(self.last_metrics))
            return turn

    def make_planner(config, registry):
        # No fallback: every turn must come through the server, or the scenario fails.
        cfg = OpenAIPlannerConfig(base_url=stub.base_url, model="stub", stream=True, fallback="none",
                                  images=False)
        return Relayed(cfg, registry=registry)

    monkeypatch.setattr(session_mod, "make_planner", make_planner)
    r = run_scenario(scenario, SessionConfig(home=tmp_path, planner="openai"))
    assert r.success, f"{scenario.id}: {'; '.join(r.problems)}"
    assert calls, "the planner was consulted"
    assert all(m.get("fallback") in (None, False, "") for m in calls), f"a turn fell back: {calls}"
    assert all(m.get("stream") for m in calls)
