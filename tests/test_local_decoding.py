"""The local model's decoding: greedy under a grammar that is asked about the model's own
choice first gives exactly what llama.cpp's grammar-in-the-chain decoding gives; the compact
answer format validates as planner turns; instructions are written from the steps; threads
follow the idle cores."""

from __future__ import annotations

import json

import pytest

import prompts
from agent.planners import cpu_share
from agent.planners.instructions import instruction_for, with_instructions
from agent.planners.turn_schema import compact_turn, compact_turn_schema
from agent.schema import PlannerTurn, PlanStep, SkillInfo
from tests.test_local_planner import MODEL, needs_model
from tests.planner_fixtures import registry


def _skills():
    return [SkillInfo.model_validate(e) for e in registry().catalogue()]


@needs_model
def test_checking_the_models_choice_first_decodes_exactly_what_the_full_grammar_does():
    from llama_cpp import Llama, LlamaGrammar

    from agent.planners.grammar_decoding import Decoded, GrammarCheck, chat_tokens, decode

    llm = Llama(model_path=str(MODEL), n_ctx=2048, n_threads=1, verbose=False)
    grammar = LlamaGrammar.from_json_schema(json.dumps(compact_turn_schema(_skills())), verbose=False)
    messages = [{"role": "system", "content": "Answer with a JSON planner turn for a robot arm."},
                {"role": "user", "content": "Scene: red cup, bin, tray. The person says: put the red cup in the bin."}]
    stats = Decoded()
    ours = "".join(decode(llm, messages, grammar._grammar, 80, stats))
    # The reference: llama-cpp-python's own path, the grammar applied to the whole vocabulary.
    ref_tokens = []
    for tok in llm.generate(chat_tokens(llm, messages), temp=0.0, grammar=grammar):
        if tok == llm.token_eos() or len(ref_tokens) >= 80:
            break
        ref_tokens.append(tok)
    ref = llm.detokenize(ref_tokens).decode("utf-8", errors="replace")
    assert ours == ref and stats.output_tokens == len(ref_tokens)
    again = Decoded()
    assert "".join(decode(llm, messages, grammar._grammar, 80, again)) == ours
    assert again.cached_tokens >= len(chat_tokens(llm, messages)) - 1, "the same prompt again is in the KV cache"
    if stats.finish == "stop":
        turn = PlannerTurn.model_validate_json(ours)  # a whole answer is a planner turn
        assert turn.say is not None
    # A grammar llama.cpp cannot compile is one clear error.
    with pytest.raises(ValueError, match="grammar"):
        GrammarCheck(llm, "root ::= (")
    llm.close()


def test_every_worked_example_in_the_compact_format_fits_the_compact_schema():
    import jsonschema

    schema = compact_turn_schema(_skills())
    for ex in prompts.examples():
        full = PlannerTurn.model_validate(ex["turn"])
        compact = compact_turn(ex["turn"])
        jsonschema.validate(compact, schema)
        again = PlannerTurn.model_validate(compact)
        # Nothing but the instructions is lost, and those are written back from the steps.
        assert again.model_dump(exclude={"steps"}) == full.model_dump(exclude={"steps"})
        assert [(s.skill, s.args) for s in again.steps] == [(s.skill, s.args) for s in full.steps]


def test_the_compact_schema_admits_one_kind_of_turn_only():
    import jsonschema

    schema = compact_turn_schema(_skills())
    for bad in [{"say": "", "question": "Which?", "refused": True},
                {"say": "", "control": "pause", "steps": []},
                {"say": "", "steps": [{"skill": "teleport", "args": {}}]},
                {"say": "", "steps": [{"skill": "place", "args": {"object": "x", "relation": "in", "target": "y"},
                                       "instruction": "written by the model"}]}]:
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)


def test_instructions_are_written_from_the_step():
    place = PlanStep(skill="place", args={"object": "red cup", "relation": "left_of", "target": "bin"})
    assert instruction_for(place) == "put the red cup to the left of the bin"
    assert instruction_for(PlanStep(skill="put_back", args={"object": "red cup"})) == "put the red cup back where it was"
    assert instruction_for(PlanStep(skill="push", args={"object": "blue block", "direction": "left", "distance_cm": 5})) \
        == "push the blue block left 5"
    kept = PlanStep(skill="place", args=place.args, instruction="mine")
    turn = with_instructions(PlannerTurn(steps=[place, kept]))
    assert [s.instruction for s in turn.steps] == ["put the red cup to the left of the bin", "mine"]


def test_threads_are_the_cores_other_work_leaves_idle(monkeypatch):
    samples = iter([(0.0, 0.0), (50.0, 200.0), (50.0, 200.0), (250.0, 400.0)])
    monkeypatch.setattr(cpu_share, "_cpu_times", lambda: next(samples))
    cores = cpu_share.IdleCores(cores=2)
    cores._since = (0.0, (0.0, 0.0))  # long ago: the window since the last turn is measured
    assert cores.threads() == 2  # a quarter of the machine busy: half a core -> both free
    cores.turn_ended()
    cores._since = (0.0, cores._since[1])
    assert cores.threads() == 1  # the whole machine busy -> still at least one
    monkeypatch.setattr(cpu_share, "_cpu_times", lambda: None)
    assert cpu_share.IdleCores(cores=4).threads() == 2  # no /proc/stat: half the cores
