"""Serve any hirobot policy to many robots over the openpi websocket protocol.

One policy instance; each connection gets the metadata frame and then its own
request/answer loop. Inference runs in a worker thread under a lock (a model is not assumed
to be thread-safe) so the event loop keeps accepting and answering handshakes. A wrong or
missing API key is refused at the handshake with HTTP 401 and a message saying so; an error
in the policy goes back as a text frame with the traceback and closes that connection only.
GET /healthz answers 200 without a websocket. The metadata frame says which device the model
runs on; every answer carries `server_timing` (wall time of the call) and, from local
policies, `policy_timing` (preprocess / model / postprocess milliseconds).
"""

from __future__ import annotations

import asyncio
import hmac
import http
import logging
import threading
import time
import traceback
from typing import Any, Callable

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.frames import CloseCode
from websockets.http11 import Request, Response

from skills.policies import wire
from skills.policies.base import Policy
from skills.policies.remote import REFUSED_KEY

log = logging.getLogger("hirobot.policy_server")


class PolicyServer:
    def __init__(self, policy: Policy, host: str = "127.0.0.1", port: int = 8000, api_key: str | None = None,
                 metadata: dict[str, Any] | None = None, *, describe: bool = True) -> None:
        """`metadata` is added to the policy's own; `describe=False` sends `metadata` alone (an
        openpi server sends its config's metadata, usually `{}`)."""
        self.policy = policy
        self.host = host
        self.port = port
        self.api_key = api_key
        self.metadata = {**(policy.metadata.model_dump() if describe else {}), **(metadata or {})}
        self.connections = 0
        self.requests = 0
        self._infer_lock = threading.Lock()
        self._server: Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    # -- handshake ---------------------------------------------------------------------------
    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        if request.path == "/healthz":
            return connection.respond(http.HTTPStatus.OK, "OK\n")
        if self.api_key:
            sent = request.headers.get("Authorization", "")
            if not hmac.compare_digest(sent.encode(), f"Api-Key {self.api_key}".encode()):
                log.warning("refused a connection from %s: wrong or missing API key", connection.remote_address)
                return connection.respond(http.HTTPStatus.UNAUTHORIZED, REFUSED_KEY + "\n")
        return None

    # -- one robot ---------------------------------------------------------------------------
    async def _handle(self, ws: ServerConnection) -> None:
        self.connections += 1
        await ws.send(wire.packb(self.metadata))
        while True:
            try:
                msg = await ws.recv()
            except ConnectionClosed:
                return
            t0 = time.monotonic()
            try:
                if isinstance(msg, str):
                    raise ValueError("expected a binary msgpack frame, got text")
                obs = wire.unpackb(msg)
                out = await asyncio.to_thread(self._infer, obs)
                out = dict(out)
                out["server_timing"] = {"infer_ms": (time.monotonic() - t0) * 1e3}
                await ws.send(wire.packb(out))
                self.requests += 1
            except ConnectionClosed:
                return
            except Exception:
                log.exception("policy error for %s", ws.remote_address)
                try:
                    await ws.send(traceback.format_exc())
                    await ws.close(CloseCode.INTERNAL_ERROR, "Internal server error. Traceback included in previous frame.")
                except ConnectionClosed:
                    pass
                return

    def _infer(self, obs: dict[str, Any]) -> dict[str, Any]:
        with self._infer_lock:
            return self.policy.infer(obs)

    # -- running -----------------------------------------------------------------------------
    async def serve_forever(self, on_ready: Callable[[int], None] | None = None) -> None:
        async with serve(self._handle, self.host, self.port, process_request=self._process_request,
                         compression=None, max_size=None, ping_interval=None) as server:
            self._server = server
            self.port = server.sockets[0].getsockname()[1]
            if on_ready is not None:
                on_ready(self.port)
            await server.serve_forever()

    def start_in_thread(self, timeout_s: float = 10.0) -> int:
        """Serve from a background thread (tests, an in-process robot); returns the bound port."""
        ready = threading.Event()

        def main() -> None:
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)

            async def run() -> None:
                async with serve(self._handle, self.host, self.port, process_request=self._process_request,
                                 compression=None, max_size=None, ping_interval=None) as server:
                    self._server = server
                    self.port = server.sockets[0].getsockname()[1]
                    ready.set()
                    await server.wait_closed()

            try:
                self._loop.run_until_complete(run())
            finally:
                ready.set()
                self._loop.close()

        self._thread = threading.Thread(target=main, name="policy-server", daemon=True)
        self._thread.start()
        if not ready.wait(timeout_s) or self._server is None:
            raise RuntimeError(f"the policy server did not start on {self.host}:{self.port}")
        return self.port

    def stop(self, timeout_s: float = 5.0) -> None:
        """Close the listener and every connection (a restart, from the robots' side)."""
        if self._server is not None and self._loop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._server.close)
        if self._thread is not None:
            self._thread.join(timeout_s)
