"""A small client for OpenAI-compatible `/chat/completions`, streaming or not.

It knows HTTP and server-sent events, nothing about planning. Every way a request can fail
is raised as a `TransportFault` with a `kind`, so the planner decides about retries from one
exception type. The API key goes only into the Authorization header; it is never logged and
never part of a repr.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Iterator, Literal

import httpx
from pydantic import SecretStr

from agent.planners.attempts import ModelFault
from agent.planners.base import PlannerCancelled

# A model list longer than this is not a model list.
MAX_MODELS_BYTES = 1_000_000

FaultKind = Literal["timeout", "connect", "server", "rate_limited", "client", "protocol", "empty"]


class TransportFault(ModelFault):
    """A request that produced no usable reply. Not retryable when the server rejected the
    request itself (HTTP 4xx other than 408 and 429): the same request would fail the same way."""

    def __init__(self, kind: FaultKind, message: str, status: int | None = None):
        super().__init__(kind, message, retryable=kind != "client")
        self.status = status


@dataclass
class Delta:
    """A piece of a streamed reply: content text and/or the usage the server reports at the end."""

    content: str = ""
    usage: dict[str, Any] | None = None
    finish_reason: str | None = None


@dataclass
class Completion:
    content: str
    usage: dict[str, Any] | None = None
    finish_reason: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class ChatClient:
    def __init__(
        self,
        base_url: str,
        api_key: SecretStr | None = None,
        timeout_s: float = 20.0,
        connect_timeout_s: float = 3.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.url = self.base_url + "/chat/completions"
        self.timeout_s = timeout_s
        self.connect_timeout_s = connect_timeout_s
        headers = {"Accept": "application/json"}
        if api_key is not None and api_key.get_secret_value():
            headers["Authorization"] = f"Bearer {api_key.get_secret_value()}"
        # One pooled client: keep-alive saves a TCP (and TLS) handshake per plan.
        self._http = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(timeout_s, connect=min(connect_timeout_s, timeout_s)),
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"ChatClient(url={self.url!r})"

    def close(self) -> None:
        self._http.close()

    def models(self, timeout_s: float = 3.0) -> list[dict[str, Any]]:
        """The server's `/models` list (empty when it has none or does not answer in time).

        The whole list must arrive within `timeout_s`, as a chat reply must: a server that
        trickles its answer would otherwise hold the robot here, before any request is sent."""
        watch = _Watch(time.monotonic() + timeout_s, timeout_s, None)
        raw = b""
        try:
            with self._http.stream("GET", self.base_url + "/models", timeout=timeout_s) as resp:
                if resp.status_code != 200:
                    return []
                watch.arm(resp)
                for chunk in resp.iter_raw():
                    watch.check()
                    raw += chunk
                    if len(raw) > MAX_MODELS_BYTES:
                        return []
                watch.check()
            data = json.loads(raw)
        except (httpx.HTTPError, ValueError, TransportFault):
            return []
        finally:
            watch.disarm()
        items = data.get("data") if isinstance(data, dict) else None
        return [m for m in items if isinstance(m, dict)] if isinstance(items, list) else []

    def complete(self, body: dict[str, Any], cancel: threading.Event | None = None,
                 budget_s: float | None = None) -> Completion:
        raw = b"".join(self._chunks(body, cancel, budget_s))
        try:
            data = json.loads(raw)
            choice = data["choices"][0]
            content = choice["message"].get("content") or ""
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as e:
            if not raw.strip():
                raise TransportFault("empty", "the server answered 200 with an empty body") from None
            raise TransportFault("protocol", f"unexpected response body ({type(e).__name__})") from None
        return Completion(content=content, usage=data.get("usage"), finish_reason=choice.get("finish_reason"))

    def stream(self, body: dict[str, Any], cancel: threading.Event | None = None,
               budget_s: float | None = None) -> Iterator[Delta]:
        """Yield the reply as it arrives. The whole reply must arrive within `timeout_s`: a
        server that keeps sending slowly is as useless to a waiting robot as a silent one."""
        buf = b""
        events = 0
        for chunk in self._chunks(body, cancel, budget_s):
            buf += chunk
            *lines, buf = buf.split(b"\n")
            for raw in lines:
                line = raw.decode("utf-8", "replace").rstrip("\r")
                if not line.startswith("data:"):
                    continue  # comments, event names, blank separators
                data = line[5:].strip()
                if data == "[DONE]":
                    return
                events += 1
                delta = _parse_chunk(data)
                if delta is not None:
                    yield delta
        if events == 0:
            # llama.cpp's server answers 200 and then closes an empty stream when the request
            # fails after the headers went out (a chat template that cannot take images).
            raise TransportFault("empty", "the server answered 200 with an empty stream")
        # A stream that ends without [DONE] is cut off; what arrived may still parse, so the
        # caller judges the content rather than us failing it here.

    def _chunks(self, body: dict[str, Any], cancel: threading.Event | None,
                budget_s: float | None = None) -> Iterator[bytes]:
        """The response body as it arrives, ended by the whole-answer deadline or `cancel`.

        httpx's timeouts are per read: a server that trickles a byte every few seconds never
        trips them. So every chunk is checked against the deadline, and a watcher shuts the
        socket when the deadline passes (or `cancel` is set) while a read is blocked."""
        # `budget_s`: what is left of the answer's deadline when part of it went elsewhere (the
        # server-kind probe before a first request).
        allowed = self.timeout_s if budget_s is None else max(0.05, min(self.timeout_s, budget_s))
        deadline = time.monotonic() + allowed
        timeout = httpx.Timeout(allowed, connect=min(self.connect_timeout_s, allowed))
        watch = _Watch(deadline, self.timeout_s, cancel)
        try:
            with self._http.stream("POST", self.url, json=body, timeout=timeout) as resp:
                if resp.status_code >= 400:
                    resp.read()
                    _check_status(resp.status_code, resp.text)
                watch.arm(resp)
                for chunk in resp.iter_raw():
                    watch.check()
                    if chunk:
                        yield chunk
                watch.check()
        except httpx.HTTPError as e:
            watch.check()  # a read ended by the watcher is a timeout or a cancel, not a fault
            raise _fault_from(e) from None
        finally:
            watch.disarm()


class _Watch:
    """Ends a request at its deadline or when `cancel` is set, even inside a blocked read."""

    POLL_S = 0.05

    def __init__(self, deadline: float, timeout_s: float, cancel: threading.Event | None) -> None:
        self.deadline = deadline
        self.timeout_s = timeout_s
        self.cancel = cancel
        self.fired: str | None = None
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    def arm(self, resp: httpx.Response) -> None:
        stream = resp.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if sock is None:
            return  # a test transport without a socket: the per-chunk checks still apply

        def watch() -> None:
            while not self._done.wait(self.POLL_S):
                why = self._why()
                if why:
                    self.fired = why
                    try:
                        sock.shutdown(socket.SHUT_RDWR)  # wakes a recv() blocked in another thread
                    except OSError:
                        pass
                    return

        self._thread = threading.Thread(target=watch, name="chat-deadline", daemon=True)
        self._thread.start()

    def _why(self) -> str | None:
        if self.cancel is not None and self.cancel.is_set():
            return "cancel"
        if time.monotonic() > self.deadline:
            return "timeout"
        return None

    def check(self) -> None:
        why = self.fired or self._why()
        if why == "cancel":
            raise PlannerCancelled("the planner call was cancelled")
        if why == "timeout":
            raise TransportFault("timeout", f"no complete reply within {self.timeout_s:g} s")

    def disarm(self) -> None:
        self._done.set()


def _parse_chunk(data: str) -> Delta | None:
    try:
        chunk = json.loads(data)
    except ValueError:
        raise TransportFault("protocol", "a stream event is not JSON") from None
    if not isinstance(chunk, dict):
        raise TransportFault("protocol", "a stream event is not a JSON object")
    if "error" in chunk:
        err = chunk["error"]
        msg = err.get("message", str(err)) if isinstance(err, dict) else str(err)
        raise TransportFault("server", f"error in stream: {msg[:200]}")
    delta = Delta(usage=chunk.get("usage"))
    choices = chunk.get("choices") or []
    if choices and isinstance(choices[0], dict):
        delta.content = (choices[0].get("delta") or {}).get("content") or ""
        delta.finish_reason = choices[0].get("finish_reason")
    return delta


def _check_status(status: int, text: str) -> None:
    if status < 400:
        return
    snippet = " ".join(text.split())[:200]
    if status == 429:
        raise TransportFault("rate_limited", f"HTTP 429: {snippet}", status)
    if status in (408, 504):
        raise TransportFault("timeout", f"HTTP {status}: {snippet}", status)
    if status >= 500:
        raise TransportFault("server", f"HTTP {status}: {snippet}", status)
    raise TransportFault("client", f"HTTP {status}: {snippet}", status)


def _fault_from(e: httpx.HTTPError) -> TransportFault:
    if isinstance(e, httpx.TimeoutException):
        return TransportFault("timeout", type(e).__name__)
    if isinstance(e, httpx.ConnectError):
        return TransportFault("connect", f"{type(e).__name__}: {e}")
    return TransportFault("protocol", f"{type(e).__name__}: {e}")
