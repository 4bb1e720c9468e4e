"""The `openai` planner against a real local HTTP server (tests/openai_stub_server.py)."""

from __future__ import annotations

import json
import logging
import random
import socket
import sys
import time

import pytest

from agent.planners.fallback import ASK_TEXT
from agent.planners.openai_backend import OpenAIPlanner, OpenAIPlannerConfig
from agent.planners.stream_json import Element, Member, ObjectStreamReader
from agent.schema import DialogueTurn, Note, PlannerError, PlannerTurn, PlanStep
from agent.validate import step_problems
from tests.openai_stub_server import StubReply, StubServer, scripted, start_stub_server, utterance_of
from tests.planner_fixtures import BLOCK_TO_TRAY, RED_TO_BIN, planner_input, registry, scene, turn_json

API_KEY = "sk-test-very-secret-4711"
TWO_STEPS = turn_json([RED_TO_BIN, BLOCK_TO_TRAY], say="Red cup to the bin, then the block to the tray.")


class FakeRules:
    """Stands in for the rules planner: a fixed turn, and a record of being called."""

    name = "rules"

    def __init__(self, turn: PlannerTurn):
        self.turn = turn
        self.calls = 0

    def plan(self, inp, on_step=None, cancel=None):
        self.calls += 1
        return self.turn


@pytest.fixture
def stubs():
    started: list[StubServer] = []

    def start(responder, token_rate=None) -> StubServer:
        s = StubServer(responder, token_rate=token_rate).start()
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()


@pytest.fixture
def planners():
    made: list[OpenAIPlanner] = []

    def make(base_url: str, fallback_planner=None, **cfg) -> OpenAIPlanner:
        cfg.setdefault("timeout_s", 3.0)
        cfg.setdefault("api_key", API_KEY)
        p = OpenAIPlanner(OpenAIPlannerConfig(base_url=base_url, **cfg), registry=registry(), fallback_planner=fallback_planner)
        made.append(p)
        return p

    yield make
    for p in made:
        p.close()


def assert_all_valid(steps: list[PlanStep]) -> None:
    reg, sc = registry(), scene()
    for s in steps:
        assert step_problems(s, reg, sc) == [], s


# -- the incremental JSON reader --------------------------------------------------------------

def test_stream_reader_reports_members_and_steps_for_any_chunking():
    doc = json.loads(TWO_STEPS)
    doc["say"] = 'tricky "quotes" } ] { [ \\ and \u00e9'
    text = "```json\n" + json.dumps(doc, indent=1) + "\n```"
    rnd = random.Random(7)
    for _ in range(50):
        r, events, i = ObjectStreamReader(), [], 0
        while i < len(text):
            k = rnd.randint(1, 9)
            events += r.feed(text[i : i + k])
            i += k
        members = {e.key: json.loads(e.raw) for e in events if isinstance(e, Member)}
        steps = [json.loads(e.raw) for e in events if isinstance(e, Element)]
        assert members == doc
        assert steps == doc["steps"]
        assert r.finished


def test_stream_reader_reports_a_step_before_the_array_closes():
    r = ObjectStreamReader()
    events = r.feed('{"say": "x", "steps": [{"skill": "home", "args": {}, "instruction": ""}')
    assert [type(e) for e in events] == [Member, Element]
    assert not r.finished


# -- valid plans -------------------------------------------------------------------------------

@pytest.mark.parametrize("stream", [False, True])
def test_valid_multi_step_plan(stubs, planners, stream):
    stub = stubs(scripted(TWO_STEPS))
    p = planners(stub.base_url, stream=stream)
    got: list[PlanStep] = []
    turn = p.plan(planner_input(), on_step=got.append)
    assert turn.steps == [RED_TO_BIN, BLOCK_TO_TRAY]
    assert got == turn.steps  # each step handed over exactly once, in order
    m = p.last_metrics
    assert m["planner"] == "openai" and m["attempts"] == 1 and m["fallback"] is None
    assert m["prompt_version"].startswith("planner-")
    assert m["tokens_in"] > 0 and m["tokens_out"] > 0
    assert m["latency_first_token_s"] is not None and m["latency_first_step_s"] is not None
    assert m["latency_total_s"] >= m["latency_first_step_s"]
    assert m["early_steps"] == (2 if stream else 0)


def test_first_step_dispatched_before_stream_finishes(stubs, planners):
    # 40 tokens/s: the whole reply takes several seconds... too slow; pace at 200 tokens/s with a
    # long "say" after which the steps follow, and a long second step.
    long_second = BLOCK_TO_TRAY.model_copy(update={"instruction": "carefully " * 40 + "place the block"})
    stub = stubs(scripted(turn_json([RED_TO_BIN, long_second])), token_rate=300)
    p = planners(stub.base_url, stream=True)
    stamps: list[float] = []
    turn = p.plan(planner_input(), on_step=lambda s: stamps.append(time.monotonic()))
    assert len(turn.steps) == 2 and len(stamps) == 2
    done = stub.timings[0].done
    assert done is not None
    # The second step alone is ~110 tokens at 300/s: step 1 must have been dispatched well before the end.
    assert stamps[0] < done - 0.2, (stamps[0], done)
    assert p.last_metrics["latency_first_step_s"] < p.last_metrics["latency_total_s"] - 0.2


def test_request_shape_schema_images_and_key(stubs, planners):
    stub = stubs(scripted(TWO_STEPS))
    p = planners(stub.base_url, stream=True)
    jpeg = "data:image/jpeg;base64,/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDA=="
    p.plan(planner_input(images={"front": jpeg, "wrist": jpeg}))
    body, headers = stub.requests[0], stub.headers[0]
    assert body["model"] == "Qwen/Qwen2.5-VL-7B-Instruct"
    rf = body["response_format"]
    assert rf["type"] == "json_schema" and rf["json_schema"]["name"] == "planner_turn"
    schema = rf["json_schema"]["schema"]
    # One kind of turn each: a plan, a question, a refusal, a control command; every field required, steps last.
    kinds = schema["anyOf"]
    assert len(kinds) == 4 and all(k["required"][-1] == "steps" and "steps" in k["properties"] for k in kinds)
    assert [k["properties"]["refused"]["const"] for k in kinds] == [False, False, True, False]
    variants = schema["$defs"]["PlanStep"]["anyOf"]
    assert sorted(v["properties"]["skill"]["enum"][0] for v in variants) == ["home", "place", "put_back"]
    assert "guided_json" not in json.dumps(body)
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    msgs = body["messages"]
    assert msgs[0]["role"] == "system" and msgs[-1]["role"] == "user"
    parts = msgs[-1]["content"]
    assert parts[0]["type"] == "text" and "Put the red cup in the bin" in parts[0]["text"]
    urls = [q["image_url"]["url"] for q in parts if q["type"] == "image_url"]
    assert urls == [jpeg, jpeg]
    assert headers["authorization"] == f"Bearer {API_KEY}"


def test_images_can_be_turned_off(stubs, planners):
    stub = stubs(scripted(TWO_STEPS))
    p = planners(stub.base_url, images=False)
    p.plan(planner_input(images={"front": "data:image/jpeg;base64,AAAA"}))
    assert isinstance(stub.requests[0]["messages"][-1]["content"], str)


def test_stable_prefix_is_identical_across_turns_and_cached(stubs, planners):
    stub = stubs(scripted(TWO_STEPS, turn_json([], say="Okay.", notes=[{"text": "cups go on the tray", "scope": "user"}])))
    p = planners(stub.base_url, stream=False)
    p.plan(planner_input())
    m1 = p.last_metrics
    later = planner_input(
        "From now on, cups go on the tray.",
        dialogue=[DialogueTurn(role="user", text="Put the red cup in the bin.")],
        notes=[Note(text="be gentle")],
        images={"front": "data:image/jpeg;base64,AAAA"},
    )
    p.plan(later)
    m2 = p.last_metrics
    a, b = stub.requests[0]["messages"], stub.requests[1]["messages"]
    assert a[0] == b[0]  # the system prompt: byte for byte the same
    assert a[-1] != b[-1]
    assert m1["prompt_chars_stable"] == m2["prompt_chars_stable"] > 0
    assert 0.5 < m1["prompt_stable_fraction"] < 1.0
    assert m1["cached_tokens"] == 0 and m2["cached_tokens"] > 0  # the stub emulates a prefix cache


# -- faults -------------------------------------------------------------------------------------

def test_timeout_then_ask(stubs, planners):
    stub = stubs(scripted(StubReply(content=TWO_STEPS, delay_s=1.5)))
    p = planners(stub.base_url, timeout_s=0.3, fallback="ask")
    got: list[PlanStep] = []
    t0 = time.monotonic()
    turn = p.plan(planner_input(), on_step=got.append)
    assert time.monotonic() - t0 < 1.4
    assert turn.question == ASK_TEXT and turn.steps == [] and got == []
    m = p.last_metrics
    assert m["attempts"] == 2 and all(f.startswith("timeout") for f in m["faults"]) and m["fallback"] == "ask"


def test_slow_stream_hits_the_whole_reply_deadline(stubs, planners):
    stub = stubs(scripted(TWO_STEPS), token_rate=100)  # ~100 tokens: about 1 s
    p = planners(stub.base_url, timeout_s=0.4, max_retries=0, fallback="ask", stream=True)
    turn = p.plan(planner_input())
    assert p.last_metrics["faults"][0].startswith("timeout")
    # Steps that streamed out before the deadline were valid and stay; nothing else was added.
    assert_all_valid(turn.steps)


@pytest.mark.parametrize("stream", [False, True])
def test_http_500_then_success(stubs, planners, stream):
    stub = stubs(scripted(StubReply(status=500), TWO_STEPS))
    p = planners(stub.base_url, stream=stream)
    turn = p.plan(planner_input())
    assert turn.steps == [RED_TO_BIN, BLOCK_TO_TRAY]
    assert p.last_metrics["attempts"] == 2 and p.last_metrics["faults"][0].startswith("server")
    # A transport retry repeats the same request.
    assert stub.requests[0]["messages"] == stub.requests[1]["messages"]


def test_dropped_connection_then_success(stubs, planners):
    stub = stubs(scripted(StubReply(drop_connection=True), TWO_STEPS))
    p = planners(stub.base_url, stream=False)
    assert p.plan(planner_input()).steps == [RED_TO_BIN, BLOCK_TO_TRAY]


def _closed_port_url() -> str:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}/v1"


def test_connection_refused_falls_back_to_rules(planners):
    rules = FakeRules(PlannerTurn(say="rules plan", steps=[RED_TO_BIN]))
    p = planners(_closed_port_url(), fallback="rules", fallback_planner=rules)
    got: list[PlanStep] = []
    turn = p.plan(planner_input(), on_step=got.append)
    assert turn.steps == [RED_TO_BIN] and got == [RED_TO_BIN] and rules.calls == 1
    m = p.last_metrics
    assert m["fallback"] == "rules" and len(m["faults"]) == 2 and m["faults"][0].startswith("connect")


def test_client_error_is_not_retried(stubs, planners):
    stub = stubs(scripted(StubReply(status=400, error_body='{"error": {"message": "bad schema"}}')))
    p = planners(stub.base_url, fallback="ask")
    turn = p.plan(planner_input())
    assert turn.question == ASK_TEXT and len(stub.requests) == 1


@pytest.mark.parametrize("stream", [False, True])
def test_malformed_json_then_valid_on_reask(stubs, planners, stream):
    stub = stubs(scripted('{"say": "ok", "steps": [{"skill": "place", "args": {"obj', TWO_STEPS))
    p = planners(stub.base_url, stream=stream)
    turn = p.plan(planner_input())
    assert turn.steps == [RED_TO_BIN, BLOCK_TO_TRAY]
    second = stub.requests[1]["messages"]
    assert second[:2] == stub.requests[0]["messages"]  # the prefix is kept on a re-ask
    assert second[2]["role"] == "assistant" and second[3]["role"] == "user"
    assert "not valid JSON" in second[3]["content"]


BAD_STEPS = {
    "unknown skill": (PlanStep(skill="juggle", args={"object": "red cup"}), "unknown skill 'juggle'"),
    "unknown object": (PlanStep(skill="place", args={"object": "purple vase", "relation": "in", "target": "bin"}),
                       "'purple vase' is not in the scene"),
    "invalid args": (PlanStep(skill="place", args={"object": "red cup", "relation": "under", "target": "bin"}),
                     "argument relation"),
}


@pytest.mark.parametrize("case", sorted(BAD_STEPS))
@pytest.mark.parametrize("stream", [False, True])
def test_bad_step_is_reasked_with_the_error(stubs, planners, case, stream):
    bad, expected = BAD_STEPS[case]
    stub = stubs(scripted(turn_json([bad, BLOCK_TO_TRAY]), TWO_STEPS))
    p = planners(stub.base_url, stream=stream)
    got: list[PlanStep] = []
    turn = p.plan(planner_input(), on_step=got.append)
    assert turn.steps == [RED_TO_BIN, BLOCK_TO_TRAY] and got == turn.steps
    reask = stub.requests[1]["messages"][-1]["content"]
    assert expected in reask
    assert p.last_metrics["faults"][0].startswith("rejected:")


def test_double_failure_falls_back_and_nothing_unvalidated_reaches_the_robot(stubs, planners):
    bad = BAD_STEPS["unknown object"][0]
    stub = stubs(scripted(turn_json([bad]), "not json at all"))
    # The fallback itself proposes an invalid step after a valid one: only the valid prefix survives.
    rules = FakeRules(PlannerTurn(say="rules", steps=[BLOCK_TO_TRAY, bad, RED_TO_BIN]))
    p = planners(stub.base_url, stream=True, fallback_planner=rules)
    got: list[PlanStep] = []
    turn = p.plan(planner_input(), on_step=got.append)
    assert turn.steps == [BLOCK_TO_TRAY] and got == [BLOCK_TO_TRAY]
    assert p.last_metrics["fallback"] == "rules" and p.last_metrics["attempts"] == 2


def test_dispatched_step_survives_a_later_invalid_step(stubs, planners):
    bad = BAD_STEPS["unknown object"][0]
    fixed = PlanStep(skill="place", args={"object": "blue cup", "relation": "on", "target": "tray"})
    # The re-asked answer repeats the started step first, as it is told to.
    stub = stubs(scripted(turn_json([RED_TO_BIN, bad]), turn_json([RED_TO_BIN, fixed])), token_rate=2000)
    p = planners(stub.base_url, stream=True)
    got: list[PlanStep] = []
    turn = p.plan(planner_input(), on_step=got.append)
    assert got == [RED_TO_BIN, fixed] and turn.steps == got
    assert p.last_metrics["early_steps"] == 1
    reask = stub.requests[1]["messages"][-1]["content"]
    assert "already accepted" in reask and '"red cup"' in reask


def test_dispatched_step_is_kept_when_everything_after_fails(stubs, planners):
    bad = BAD_STEPS["invalid args"][0]
    stub = stubs(scripted(turn_json([RED_TO_BIN, bad])))
    p = planners(stub.base_url, stream=True, fallback="ask")
    got: list[PlanStep] = []
    turn = p.plan(planner_input(), on_step=got.append)
    assert got == [RED_TO_BIN] and turn.steps == [RED_TO_BIN]
    # A question cannot go with steps that already run: the request to rephrase is said instead.
    assert turn.question is None and ASK_TEXT in turn.say
    assert_all_valid(turn.steps)


def test_question_before_steps_blocks_early_dispatch(stubs, planners):
    stub = stubs(scripted(turn_json([RED_TO_BIN], question="Which cup?"), turn_json([], question="Which cup?")))
    p = planners(stub.base_url, stream=True)
    got: list[PlanStep] = []
    turn = p.plan(planner_input("Put the cup in the bin."), on_step=got.append)
    assert got == [] and turn.steps == [] and turn.question == "Which cup?"


def test_no_early_dispatch_while_a_step_runs(stubs, planners):
    stub = stubs(scripted(turn_json([BLOCK_TO_TRAY], preempt=True)))
    p = planners(stub.base_url, stream=True)
    got: list[PlanStep] = []
    turn = p.plan(planner_input("No, the block!", running=RED_TO_BIN), on_step=got.append)
    assert turn.preempt and got == [BLOCK_TO_TRAY] and p.last_metrics["early_steps"] == 0


def test_fallback_none_raises(stubs, planners):
    stub = stubs(scripted("garbage"))
    p = planners(stub.base_url, fallback="none")
    with pytest.raises(PlannerError):
        p.plan(planner_input())
    assert p.last_metrics["attempts"] == 2


def test_rules_fallback_unavailable_asks(stubs, planners, monkeypatch):
    monkeypatch.setitem(sys.modules, "agent.planners.rules", None)  # import fails
    stub = stubs(scripted("garbage"))
    p = planners(stub.base_url, fallback="rules")
    turn = p.plan(planner_input())
    assert turn.question == ASK_TEXT and turn.steps == [] and p.last_metrics["fallback"] == "ask"


# -- the key, the config, the stub as a scripted model ------------------------------------------

def test_api_key_is_sent_but_never_shown(stubs, caplog, monkeypatch):
    monkeypatch.setenv("HIROBOT_OPENAI_API_KEY", API_KEY)
    stub = stubs(scripted("garbage", StubReply(status=503)))
    cfg = OpenAIPlannerConfig.load(base_url=stub.base_url, fallback="ask")
    p = OpenAIPlanner(cfg, registry=registry())
    try:
        with caplog.at_level(logging.DEBUG):
            p.plan(planner_input())
        assert stub.headers[0]["authorization"] == f"Bearer {API_KEY}"
        shown = " ".join([repr(p), repr(cfg), str(cfg), cfg.model_dump_json(), caplog.text, json.dumps(p.last_metrics)])
        assert API_KEY not in shown
        assert caplog.records  # the faults were logged, without the key
    finally:
        p.close()


def test_config_layers(tmp_path):
    f = tmp_path / "planner.toml"
    f.write_text('[openai]\nbase_url = "http://file:1/v1"\nmodel = "from-file"\nstream = false\nmax_retries = 2\n')
    env = {"HIROBOT_OPENAI_MODEL": "from-env", "OPENAI_API_KEY": "k-env"}
    cfg = OpenAIPlannerConfig.load(f, env=env, base_url="http://cli:2/v1", timeout_s=None)
    assert cfg.base_url == "http://cli:2/v1" and cfg.model == "from-env" and cfg.stream is False
    assert cfg.max_retries == 2 and cfg.timeout_s is None  # None: the server kind's default
    assert cfg.api_key is not None and cfg.api_key.get_secret_value() == "k-env"


def test_start_stub_server_with_a_scripted_model(planners):
    """The reusable form: a responder computing the reply from the request."""
    replies = {"Put the red cup in the bin.": turn_json([RED_TO_BIN]),
               "Put the cup in the bin.": turn_json([], question="Which cup, the red one or the blue one?")}
    base_url, stop = start_stub_server(lambda req: replies[utterance_of(req)], token_rate=None)
    try:
        p = planners(base_url)
        assert p.plan(planner_input("Put the red cup in the bin.")).steps == [RED_TO_BIN]
        assert p.plan(planner_input("Put the cup in the bin.")).question.startswith("Which cup")
    finally:
        stop()


def test_real_rules_planner_is_the_default_fallback(stubs, planners):
    pytest.importorskip("agent.planners.rules", reason="the rules planner is not importable here")
    stub = stubs(scripted("garbage"))
    p = planners(stub.base_url, fallback="rules")
    got: list[PlanStep] = []
    turn = p.plan(planner_input("Put the red cup in the bin."), on_step=got.append)
    assert p.last_metrics["fallback"] in ("rules", "ask")
    assert got == turn.steps
    assert_all_valid(turn.steps)


def test_response_schema_forms():
    from agent.planners.turn_schema import turn_schema
    from tests.planner_fixtures import planner_input as _inp

    skills = _inp().skills
    plain = turn_schema(skills, per_skill=False)
    assert plain["$defs"]["PlanStep"]["properties"]["args"]["type"] == "object"
    strict = turn_schema(skills, per_skill=True, strict=True)
    text = json.dumps(strict)
    assert '"default"' not in text

    def objects(node):
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node:
                yield node
            for v in node.values():
                yield from objects(v)
        elif isinstance(node, list):
            for v in node:
                yield from objects(v)

    for obj in objects(strict):
        assert obj["required"] == list(obj["properties"]) and obj["additionalProperties"] is False
