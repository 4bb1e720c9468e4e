"""A real HTTP server speaking enough of the OpenAI chat completions API to test planners.

    base_url, stop = start_stub_server(lambda request: '{"say": "hi", ...}', token_rate=50)
    ...
    stop()

The responder gets each request's JSON body and returns the assistant's content (a string)
or a `StubReply` for faults (HTTP status, delay before answering, a dropped connection).
Streaming requests get server-sent events, one chunk per "token" (`chars_per_token`
characters), paced at `token_rate` tokens per second when given; non-streaming requests are
delayed by the same generation time. Usage is reported like vLLM with prefix caching: a
system prompt seen before counts as cached prompt tokens.

`StubServer` is the same with the recorded requests, headers and server-side timings.

`kind` makes it behave like a real server where real servers differ (as observed):
- "llama_cpp" (llama-cpp-python 0.3.36's `python -m llama_cpp.server`): GET /v1/models lists
  one model owned_by "me"; `response_format` json_schema is HTTP 500 (a validation error
  naming response_format); image parts make a text model's chat template fail: HTTP 500 when
  not streaming, and 200 with an empty body when streaming; no usage in streams.
- "vllm": /v1/models owned_by "vllm"; an unknown model name is HTTP 404; with
  `multimodal=False` image parts are HTTP 400.
- "generic": no /v1/models, everything accepted.
`trickle_s` sends the answer one byte every `trickle_s` seconds (a server that never stalls
long enough for a per-read timeout, yet never finishes).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable


@dataclass
class StubReply:
    content: str = ""
    status: int = 200
    delay_s: float = 0.0  # before anything is sent
    drop_connection: bool = False  # close the socket without answering
    error_body: str = '{"error": {"message": "stub error", "type": "server_error"}}'


Responder = Callable[[dict[str, Any]], "str | StubReply"]


@dataclass
class Timing:
    received: float  # time.monotonic() when the request body was read
    first_byte: float | None = None
    done: float | None = None


@dataclass
class StubServer:
    responder: Responder
    token_rate: float | None = None
    chars_per_token: int = 4
    kind: str = "generic"  # "generic", "llama_cpp" or "vllm"
    model_id: str = "served-model"
    multimodal: bool = True  # vllm: whether image parts are taken
    trickle_s: float | None = None
    trickle_models: bool = False  # GET /models trickles too (a server slow at everything)
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    timings: list[Timing] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._seen_prefixes: set[str] = set()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> "StubServer":
        handler = _make_handler(self)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "StubServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what the handler asks of the server -------------------------------------------------

    def _record(self, body: dict[str, Any], headers: dict[str, str]) -> Timing:
        t = Timing(received=time.monotonic())
        with self._lock:
            self.requests.append(body)
            self.headers.append(headers)
            self.timings.append(t)
        return t

    def _usage(self, body: dict[str, Any], completion_tokens: int) -> dict[str, Any]:
        messages = body.get("messages") or []
        text = "".join(_text_of(m.get("content")) for m in messages)
        prompt_tokens = len(text) // 4 + 1
        cached = 0
        if messages and messages[0].get("role") == "system":
            system = _text_of(messages[0].get("content"))
            key = hashlib.sha256(system.encode()).hexdigest()
            with self._lock:
                if key in self._seen_prefixes:
                    cached = (len(system) // 4) // 16 * 16  # whole 16-token blocks, as a paged KV cache
                self._seen_prefixes.add(key)
        return {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
                "prompt_tokens_details": {"cached_tokens": cached}}


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def _make_handler(stub: StubServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            pass

        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            owner = {"llama_cpp": "me", "vllm": "vllm"}.get(stub.kind)
            if owner is None or not self.path.rstrip("/").endswith("/models"):
                self._send_json(404, {"error": {"message": f"no route {self.path}"}})
                return
            listing = {"object": "list", "data": [{"id": stub.model_id, "object": "model",
                                                   "owned_by": owner, "permissions": []}]}
            if stub.trickle_s and stub.trickle_models:
                try:
                    self._trickle_bytes(json.dumps(listing), "application/json")
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up at its deadline
                return
            self._send_json(200, listing)

        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            try:
                self._answer()
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test); nothing to do

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._send_json(404, {"error": {"message": f"no route {self.path}"}})
                return
            body = json.loads(raw)
            timing = stub._record(body, {k.lower(): v for k, v in self.headers.items()})
            if self._refused_like_a_real_server(body):
                timing.done = time.monotonic()
                return
            reply = stub.responder(body)
            if isinstance(reply, str):
                reply = StubReply(content=reply)
            if reply.delay_s:
                time.sleep(reply.delay_s)
            if reply.drop_connection:
                self.close_connection = True
                self.connection.close()
                return
            if reply.status != 200:
                self._send_raw(reply.status, reply.error_body.encode(), "application/json")
                timing.done = time.monotonic()
                return
            if stub.trickle_s:
                self._trickle(body, reply.content)
                return
            tokens = _split(reply.content, stub.chars_per_token)
            if body.get("stream"):
                self._stream(body, tokens, timing)
            else:
                if stub.token_rate:
                    time.sleep(len(tokens) / stub.token_rate)
                out = {
                    "id": "chatcmpl-stub", "object": "chat.completion", "model": body.get("model", ""),
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": reply.content},
                                 "finish_reason": "stop"}],
                    "usage": stub._usage(body, len(tokens)),
                }
                timing.first_byte = time.monotonic()
                self._send_json(200, out)
                timing.done = time.monotonic()

        def _refused_like_a_real_server(self, body: dict[str, Any]) -> bool:
            """What llama.cpp's and vLLM's servers answer to requests they cannot take."""
            fmt = (body.get("response_format") or {}).get("type")
            images = _has_images(body)
            if stub.kind == "llama_cpp":
                if fmt not in (None, "text", "json_object"):
                    msg = ("1 validation error:\n  {'type': 'literal_error', 'loc': ('body', 'response_format', "
                           "'type'), 'msg': \"Input should be 'text' or 'json_object'\", 'input': '" + str(fmt) + "'}")
                    self._send_json(500, {"error": {"message": msg, "type": "internal_server_error"}})
                    return True
                if images and body.get("stream"):
                    self._empty_stream()
                    return True
                if images:
                    self._send_json(500, {"error": {"message": 'can only concatenate str (not "list") to str',
                                                    "type": "internal_server_error"}})
                    return True
            if stub.kind == "vllm":
                if body.get("model") != stub.model_id:
                    self._send_json(404, {"object": "error", "message": f"The model `{body.get('model')}` does not exist.",
                                          "type": "NotFoundError", "code": 404})
                    return True
                if images and not stub.multimodal:
                    self._send_json(400, {"object": "error", "type": "BadRequestError", "code": 400,
                                          "message": f"{stub.model_id} is not a multimodal model"})
                    return True
            return False

        def _empty_stream(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True

        def _trickle(self, body: dict[str, Any], content: str) -> None:
            if body.get("stream"):
                chunk = {"choices": [{"index": 0, "delta": {"content": content}, "finish_reason": None}]}
                text, ctype = f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n", "text/event-stream"
            else:
                text, ctype = json.dumps({"choices": [{"message": {"content": content}}]}), "application/json"
            self._trickle_bytes(text, ctype)

        def _trickle_bytes(self, text: str, ctype: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            for ch in text:
                time.sleep(stub.trickle_s)
                self.wfile.write(ch.encode())
                self.wfile.flush()

        def _stream(self, body: dict[str, Any], tokens: list[str], timing: Timing) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            model = body.get("model", "")

            def event(payload: dict[str, Any] | str) -> None:
                data = payload if isinstance(payload, str) else json.dumps(payload)
                self.wfile.write(f"data: {data}\n\n".encode())
                self.wfile.flush()

            def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
                return {"id": "chatcmpl-stub", "object": "chat.completion.chunk", "model": model,
                        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

            timing.first_byte = time.monotonic()
            event(chunk({"role": "assistant", "content": ""}))
            pause = 1.0 / stub.token_rate if stub.token_rate else 0.0
            for tok in tokens:
                if pause:
                    time.sleep(pause)
                event(chunk({"content": tok}))
            event(chunk({}, finish="stop"))
            if (body.get("stream_options") or {}).get("include_usage") and stub.kind != "llama_cpp":
                event({"id": "chatcmpl-stub", "object": "chat.completion.chunk", "model": model, "choices": [],
                       "usage": stub._usage(body, len(tokens))})
            # Stamped before the last event: a client returns on [DONE], and a test reading the
            # timing right after must find it set.
            timing.done = time.monotonic()
            event("[DONE]")

        def _send_json(self, status: int, payload: dict[str, Any]) -> None:
            self._send_raw(status, json.dumps(payload).encode(), "application/json")

        def _send_raw(self, status: int, data: bytes, ctype: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


def _has_images(body: dict[str, Any]) -> bool:
    return any(isinstance(m.get("content"), list) and any(p.get("type") == "image_url" for p in m["content"]
                                                          if isinstance(p, dict))
               for m in body.get("messages") or [])


def _split(text: str, n: int) -> list[str]:
    return [text[i : i + n] for i in range(0, len(text), n)] or [""]


def start_stub_server(responder: Responder, token_rate: float | None = None) -> tuple[str, Callable[[], None]]:
    """Start a stub on 127.0.0.1 (a free port); return its /v1 base URL and a stop function."""
    stub = StubServer(responder, token_rate=token_rate).start()
    return stub.base_url, stub.stop


# -- helpers for writing responders ----------------------------------------------------------

_UTTERANCE = re.compile(r'The person says: "(.*)"\s*\nAnswer with the JSON object', re.S)


def utterance_of(request: dict[str, Any]) -> str:
    """What the person said, read back from the turn message (the first user message) of a planner request."""
    first = [m for m in request.get("messages", []) if m.get("role") == "user"][0]
    found = _UTTERANCE.search(_text_of(first.get("content")))
    return found.group(1) if found else ""


def scripted(*replies: "str | StubReply") -> Responder:
    """Answer the n-th request with the n-th reply (the last one repeats)."""
    lock = threading.Lock()
    count = [0]

    def responder(_request: dict[str, Any]) -> "str | StubReply":
        with lock:
            i = min(count[0], len(replies) - 1)
            count[0] += 1
        return replies[i]

    return responder
