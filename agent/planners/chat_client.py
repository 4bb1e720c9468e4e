"""A small client for OpenAI-compatible `/chat/completions`, streaming or not.

It knows HTTP and server-sent events, nothing about planning. Every way a request can fail
is raised as a `TransportFault` with a `kind`, so the planner decides about retries from one
exception type. The API key goes only into the Authorization header; it is never logged and
never part of a repr.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any, Iterator, Literal

import httpx
from pydantic import SecretStr

from agent.planners.attempts import ModelFault

FaultKind = Literal["timeout", "connect", "server", "rate_limited", "client", "protocol"]


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
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.timeout_s = timeout_s
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

    def complete(self, body: dict[str, Any]) -> Completion:
        deadline = time.monotonic() + self.timeout_s
        try:
            resp = self._http.post(self.url, json=body)
        except httpx.HTTPError as e:
            raise _fault_from(e) from None
        _check_status(resp.status_code, resp.text)
        if time.monotonic() > deadline:
            raise TransportFault("timeout", f"no complete reply within {self.timeout_s:g} s")
        try:
            data = resp.json()
            choice = data["choices"][0]
            content = choice["message"].get("content") or ""
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as e:
            raise TransportFault("protocol", f"unexpected response body ({type(e).__name__})") from None
        return Completion(content=content, usage=data.get("usage"), finish_reason=choice.get("finish_reason"))

    def stream(self, body: dict[str, Any]) -> Iterator[Delta]:
        """Yield the reply as it arrives. The whole reply must arrive within `timeout_s`: a
        server that keeps sending slowly is as useless to a waiting robot as a silent one."""
        deadline = time.monotonic() + self.timeout_s
        try:
            with self._http.stream("POST", self.url, json=body) as resp:
                if resp.status_code >= 400:
                    resp.read()
                    _check_status(resp.status_code, resp.text)
                for line in resp.iter_lines():
                    if time.monotonic() > deadline:
                        raise TransportFault("timeout", f"no complete reply within {self.timeout_s:g} s")
                    if not line.startswith("data:"):
                        continue  # comments, event names, blank separators
                    data = line[5:].strip()
                    if data == "[DONE]":
                        return
                    delta = _parse_chunk(data)
                    if delta is not None:
                        yield delta
        except httpx.HTTPError as e:
            raise _fault_from(e) from None
        # A stream that ends without [DONE] is cut off; what arrived may still parse, so the
        # caller judges the content rather than us failing it here.


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
