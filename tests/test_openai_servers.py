"""The `openai` planner against stub servers that answer the way llama.cpp's and vLLM's servers
were seen to answer: modes and images they reject are detected, stepped down once and said;
the whole answer has one deadline; a cancelled call stops; every fault says what to change."""

from __future__ import annotations

import threading
import time

import pytest

from agent.planners.base import PlannerCancelled
from agent.planners.openai_backend import OpenAIPlanner, OpenAIPlannerConfig
from agent.schema import PlannerError
from tests.openai_stub_server import StubReply, StubServer, scripted
from tests.planner_fixtures import BLOCK_TO_TRAY, RED_TO_BIN, planner_input, registry, turn_json

TWO_STEPS = turn_json([RED_TO_BIN, BLOCK_TO_TRAY], say="Red cup to the bin, then the block to the tray.")
FRAME = "data:image/jpeg;base64,AAAA"


@pytest.fixture
def made():
    servers: list[StubServer] = []
    planners: list[OpenAIPlanner] = []

    def server(responder, **kw) -> StubServer:
        s = StubServer(responder, **kw).start()
        servers.append(s)
        return s

    def planner(stub: StubServer, **cfg) -> OpenAIPlanner:
        cfg.setdefault("timeout_s", 5.0)
        p = OpenAIPlanner(OpenAIPlannerConfig(base_url=stub.base_url, **cfg), registry=registry())
        planners.append(p)
        return p

    yield server, planner
    for p in planners:
        p.close()
    for s in servers:
        s.stop()


def test_llama_cpp_server_is_detected_and_asked_the_way_it_takes(made):
    server, planner = made
    stub = server(scripted(TWO_STEPS), kind="llama_cpp", model_id="/models/qwen.gguf")
    p = planner(stub)
    turn = p.plan(planner_input(images={"front": FRAME}))
    assert turn.steps == [RED_TO_BIN, BLOCK_TO_TRAY]
    assert p.server_kind == "llama_cpp" and p.response_mode == "json_object" and p.images is False
    (req,) = stub.requests
    assert req["response_format"]["type"] == "json_object" and req["response_format"]["schema"]["anyOf"][0]["properties"]["steps"]
    assert all(isinstance(m["content"], str) for m in req["messages"])  # no image parts for a text model
    assert req["model"] == "/models/qwen.gguf"
    assert p.last_metrics["fallback"] is None and not p.last_metrics["notices"]


@pytest.mark.parametrize("stream", [True, False])
def test_llama_cpp_rejections_step_down_once_and_are_said(made, stream):
    server, planner = made
    stub = server(scripted(TWO_STEPS), kind="llama_cpp")
    # Settings as a vLLM user would leave them: json_schema and camera frames.
    p = planner(stub, response_mode="json_schema", images=True, stream=stream, fallback="none")
    turn = p.plan(planner_input(images={"front": FRAME}))
    assert turn.steps == [RED_TO_BIN, BLOCK_TO_TRAY]
    # 500 on json_schema; then, with images, an empty 200 stream (or a 500 without streaming).
    assert [r.get("response_format", {}).get("type") for r in stub.requests] == ["json_schema", "json_object", "json_object"]
    assert p.response_mode == "json_object" and p.images is False
    notices = p.last_metrics["notices"]
    assert len(notices) == 2 and "response_mode" in notices[0] and "images = false" in notices[1]
    assert "answer format" in turn.say and "camera images" in turn.say  # said aloud, once
    assert p.last_metrics["attempts"] == 1  # a step-down is not a failed attempt
    again = p.plan(planner_input(images={"front": FRAME}))
    assert len(stub.requests) == 4 and "camera" not in again.say and not p.last_metrics["notices"]


def test_json_object_rejected_too_steps_down_to_checked_free_text(made):
    server, planner = made

    def reject_formats(body):
        if "response_format" in body:
            return StubReply(status=400, error_body='{"error": {"message": "response_format is not supported"}}')
        return "Sure! " + TWO_STEPS  # free text around the object: still read and checked

    stub = server(reject_formats)
    p = planner(stub, fallback="none")
    turn = p.plan(planner_input())
    assert turn.steps == [RED_TO_BIN, BLOCK_TO_TRAY] and p.response_mode == "none"
    assert len(p.last_metrics["notices"]) == 2


def test_vllm_is_detected_keeps_schema_and_images_and_uses_its_model_name(made):
    server, planner = made
    stub = server(scripted(TWO_STEPS), kind="vllm", model_id="Qwen/Qwen2.5-VL-3B-Instruct")
    p = planner(stub)
    p.plan(planner_input(images={"front": FRAME}))
    (req,) = stub.requests
    assert p.server_kind == "vllm" and req["response_format"]["type"] == "json_schema"
    assert req["model"] == "Qwen/Qwen2.5-VL-3B-Instruct"
    assert isinstance(req["messages"][-1]["content"], list)  # the frame went along


def test_vllm_text_model_rejects_images_once(made):
    server, planner = made
    stub = server(scripted(TWO_STEPS), kind="vllm", model_id="Qwen/Qwen2.5-7B-Instruct", multimodal=False)
    p = planner(stub, fallback="none")
    turn = p.plan(planner_input(images={"front": FRAME}))
    assert turn.steps and p.images is False and len(stub.requests) == 2
    assert "camera images" in turn.say


def test_empty_stream_without_images_is_a_fault_that_says_what_to_do(made):
    server, planner = made

    def empty(body):
        return StubReply(content="")

    stub = server(empty)
    p = planner(stub, fallback="none", max_retries=0)
    with pytest.raises(PlannerError) as e:
        p.plan(planner_input())
    assert "To fix:" in str(e.value)


def test_a_server_trickling_a_byte_every_2_s_is_cut_at_the_whole_answer_deadline(made):
    server, planner = made
    stub = server(scripted(TWO_STEPS), trickle_s=2.0)
    for stream in (True, False):
        p = planner(stub, timeout_s=3.0, max_retries=0, fallback="ask", stream=stream)
        t0 = time.monotonic()
        p.plan(planner_input())
        took = time.monotonic() - t0
        # Checking only between chunks would end at 4 s (the second byte); per-read timeouts never.
        assert 2.9 < took < 3.9, took
        assert p.last_metrics["faults"][0].startswith("timeout") and p.last_metrics["fallback"] == "ask"
        assert "timeout_s" in p.last_metrics["advice"]


def test_a_server_trickling_its_model_list_too_is_cut_at_the_deadline(made):
    """The server-kind probe (GET /models) comes before the chat request: it has a whole-answer
    deadline of its own, so a server slow at everything cannot hold the robot there either."""
    server, planner = made
    stub = server(scripted(TWO_STEPS), kind="llama_cpp", trickle_s=2.0, trickle_models=True)
    p = planner(stub, timeout_s=3.0, connect_timeout_s=1.0, max_retries=0, fallback="ask")
    t0 = time.monotonic()
    p.plan(planner_input())
    took = time.monotonic() - t0
    # one deadline for the whole answer, the probe included; without the probe's own deadline
    # the model list alone takes minutes at a byte per 2 s
    assert took < 3.9, took
    assert p.last_metrics["faults"][0].startswith("timeout") and p.last_metrics["fallback"] == "ask"


def test_cancel_stops_a_streaming_call(made):
    server, planner = made
    stub = server(scripted(TWO_STEPS), token_rate=5)  # about 20 s for the whole answer
    p = planner(stub, timeout_s=30.0)
    cancel = threading.Event()
    threading.Timer(0.5, cancel.set).start()
    t0 = time.monotonic()
    with pytest.raises(PlannerCancelled):
        p.plan(planner_input(), cancel=cancel)
    assert time.monotonic() - t0 < 2.0


def test_connection_refused_says_to_start_the_server(made):
    _, planner = made
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    p = OpenAIPlanner(OpenAIPlannerConfig(base_url=f"http://127.0.0.1:{port}/v1", fallback="none", max_retries=0),
                      registry=registry())
    with pytest.raises(PlannerError) as e:
        p.plan(planner_input())
    assert "start the server" in str(e.value) and "base_url" in str(e.value)


def test_fallback_to_rules_is_said_the_first_time(made):
    server, planner = made
    stub = server(scripted(StubReply(status=503)))
    p = planner(stub, max_retries=0)
    first = p.plan(planner_input("Put the red cup in the bin."))
    assert p.last_metrics["fallback"] == "rules" and "rules planner answered" in first.say
    second = p.plan(planner_input("Put the red cup in the bin."))
    assert p.last_metrics["fallback"] == "rules" and "rules planner answered" not in second.say


@pytest.mark.parametrize("bad, problem", [
    (dict(question="Which cup?", refused=True, say="I can't."), "not both"),
    (dict(control="pause", say="Waiting."), "nothing is running"),
    (dict(preempt=True, steps=[RED_TO_BIN]), "no step is running"),
])
def test_contradictory_turns_are_reasked(made, bad, problem):
    server, planner = made
    fields = dict(bad)
    steps = fields.pop("steps", [])
    stub = server(scripted(turn_json(steps, **fields), TWO_STEPS))
    p = planner(stub, fallback="none")
    turn = p.plan(planner_input())
    assert turn.steps == [RED_TO_BIN, BLOCK_TO_TRAY] and p.last_metrics["attempts"] == 2
    reask = stub.requests[1]["messages"][-1]["content"]
    assert problem in reask


def test_pause_while_a_step_runs_is_accepted(made):
    server, planner = made
    stub = server(scripted(turn_json([], control="pause", say="Waiting.")))
    p = planner(stub, fallback="none")
    turn = p.plan(planner_input("Wait.", running=RED_TO_BIN))
    assert turn.control == "pause" and p.last_metrics["attempts"] == 1


def test_a_control_turn_that_also_refuses_is_reasked(made):
    server, planner = made
    stub = server(scripted(turn_json([], control="stop", refused=True, say="No."),
                           turn_json([], control="stop", say="Stopping.")))
    p = planner(stub, fallback="none")
    turn = p.plan(planner_input("Stop!", running=RED_TO_BIN))
    assert turn.control == "stop" and not turn.refused and p.last_metrics["attempts"] == 2
