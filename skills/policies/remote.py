"""A policy on a policy server, over the openpi websocket protocol.

The protocol (the same as openpi's policy servers, so either side can be the other's peer):
  - the client opens a websocket (optionally sending `Authorization: Api-Key <key>`);
  - the server's first frame is its metadata (a msgpack map);
  - then, per call, the client sends the observation (msgpack, binary frame) and the server
    answers with the action map ({"actions": array [T, D], ...}), also binary;
  - an error is a *text* frame holding the server's traceback, after which the server closes
    the connection (1011).
Frames are never compressed and have no size limit (images are large).

This client reconnects with exponential backoff when the connection drops and resends the
observation (inference has no side effects), up to a bound, and bounds every wait.

The chunk shape comes from the server's metadata. openpi's servers usually send `{}`; then the
configuration (or the key map's preset) states the horizon, action dimension and rate, and a
server that states neither is refused with a message saying what to configure. The
observation is laid out under the server's keys by a key map (`keymaps.py`).
"""

from __future__ import annotations

import inspect
import threading
import time
from typing import Any

from websockets.exceptions import ConnectionClosed, InvalidStatus, InvalidURI
from websockets.sync.client import ClientConnection, connect

from skills.policies import wire
from skills.policies.base import Policy, PolicyError, PolicyMetadata
from skills.policies.keymaps import KeyMap, keymap

REFUSED_KEY = "the policy server refused the API key"
# websockets 17 wants `legacy=True` to hand back a plain long-lived connection; older ones
# do that without being asked and do not know the flag.
_CONNECT_KW = {"legacy": True} if "legacy" in inspect.signature(connect).parameters else {}


class RemotePolicy(Policy):
    def __init__(self, url: str, api_key: str | None = None, *, name: str | None = None,
                 keys: KeyMap | str | dict | None = None, fallback: dict[str, Any] | None = None,
                 connect_timeout_s: float = 5.0, infer_timeout_s: float = 30.0, retries: int = 4,
                 backoff_s: float = 0.2, max_backoff_s: float = 2.0) -> None:
        """`keys`: how the server wants the observation (a preset name or a KeyMap); `fallback`:
        action_horizon, action_dim, rate_hz to use where the server's metadata is silent."""
        if not url.startswith(("ws://", "wss://")):
            url = "ws://" + url
        self.url = url
        self.api_key = api_key
        self.name = name
        self.keys = keymap(keys)
        self.fallback = dict(fallback or {})
        self.connect_timeout_s = connect_timeout_s
        self.infer_timeout_s = infer_timeout_s
        self.retries = retries
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.server_metadata: dict[str, Any] = {}
        self.reconnects = 0
        self._ws: ClientConnection | None = None
        self._meta: PolicyMetadata | None = None
        self._lock = threading.Lock()  # one request in flight per connection

    # -- connection --------------------------------------------------------------------------
    def _connect_once(self) -> None:
        headers = {"Authorization": f"Api-Key {self.api_key}"} if self.api_key else None
        try:
            ws = connect(self.url, additional_headers=headers, compression=None, max_size=None, proxy=None,
                         open_timeout=self.connect_timeout_s, ping_interval=None, close_timeout=1.0, **_CONNECT_KW)
        except InvalidStatus as e:
            status = e.response.status_code
            if status in (401, 403):
                raise PolicyError(f"{REFUSED_KEY} ({self.url} answered {status})") from None
            raise PolicyError(f"the policy server at {self.url} refused the connection: HTTP {status}") from None
        except InvalidURI as e:
            raise PolicyError(f"not a websocket address: {self.url} ({e})") from None
        try:
            first = ws.recv(timeout=self.connect_timeout_s)
        except Exception:
            ws.close()
            raise
        if isinstance(first, str):
            ws.close()
            raise PolicyError(f"the policy server at {self.url} failed on connect:\n{first}")
        meta = wire.unpackb(first)
        self.server_metadata = meta if isinstance(meta, dict) else {}
        try:
            self._meta = _metadata_from(self.server_metadata, self.keys, self.fallback, self.name or self.url)
        except PolicyError:
            ws.close()
            raise
        self._ws = ws

    def _ensure(self) -> ClientConnection:
        """A live connection: reconnect with backoff, give up with a clear error."""
        if self._ws is not None:
            return self._ws
        delay, last = self.backoff_s, None
        for attempt in range(self.retries + 1):
            try:
                self._connect_once()
                return self._ws  # type: ignore[return-value]
            except PolicyError:
                raise  # refused: retrying will not help
            except (OSError, TimeoutError, ConnectionClosed) as e:
                last = e
            if attempt < self.retries:
                time.sleep(delay)
                delay = min(delay * 2, self.max_backoff_s)
        raise PolicyError(f"cannot reach the policy server at {self.url}: {type(last).__name__}: {last}")

    def _drop(self) -> None:
        if self._ws is not None:
            try:
                self._ws.close()
            except Exception:
                pass
        self._ws = None

    # -- Policy ------------------------------------------------------------------------------
    @property
    def metadata(self) -> PolicyMetadata:
        if self._meta is None:
            with self._lock:
                self._ensure()
        assert self._meta is not None
        return self._meta

    def problems(self, obs: dict[str, Any], action_dim: int | None = None) -> list[str]:
        out = self.keys.problems(obs)
        if self.keys.identity:
            out += super().problems(obs)
        meta = self.metadata
        if action_dim is not None and meta.action_dim != action_dim:
            out.append(f"the server answers {meta.action_dim} action values per row, the robot takes {action_dim}")
        return out

    def infer(self, obs: dict[str, Any]) -> dict[str, Any]:
        problems = self.keys.problems(obs)
        if problems:
            raise PolicyError(f"the observation does not fit the {self.keys.name} keys: " + "; ".join(problems))
        data = wire.packb(self.keys.apply(obs))
        with self._lock:
            for attempt in range(2):  # the second try goes over a fresh connection
                ws = self._ensure()
                try:
                    ws.send(data)
                    reply = ws.recv(timeout=self.infer_timeout_s)
                except TimeoutError:
                    self._drop()  # a late answer would arrive as the answer to the next call
                    raise PolicyError(f"the policy server at {self.url} gave no answer within "
                                      f"{self.infer_timeout_s:.0f} s") from None
                except (ConnectionClosed, OSError) as e:
                    self._drop()
                    if attempt == 0:
                        self.reconnects += 1
                        continue
                    raise PolicyError(f"lost the policy server at {self.url}: {e}") from None
                if isinstance(reply, str):
                    self._drop()  # the server closes after an error frame
                    raise PolicyError(f"the policy server failed:\n{reply}")
                out = wire.unpackb(reply)
                if not isinstance(out, dict):
                    raise PolicyError(f"the policy server answered {type(out).__name__}, not a map")
                return out
        raise PolicyError(f"lost the policy server at {self.url}")  # pragma: no cover

    def close(self) -> None:
        with self._lock:
            self._drop()


SHAPE_FIELDS = ("action_horizon", "action_dim", "rate_hz")


def _metadata_from(meta: dict[str, Any], keys: KeyMap, fallback: dict[str, Any], name: str) -> PolicyMetadata:
    """What the server says, then the configuration, then the key map's preset: never a guess."""
    known = {k: v for k, v in meta.items() if isinstance(k, str)}
    fields: dict[str, Any] = {"name": str(known.get("name", name)), "cameras": keys.cameras or ["front", "wrist"]}
    missing = []
    for f in SHAPE_FIELDS:
        value = known.get(f, fallback.get(f, getattr(keys, f)))
        if value is None:
            missing.append(f)
        else:
            fields[f] = value
    if missing:
        raise PolicyError(f"the policy server for {name!r} does not say its {', '.join(missing)} (its metadata: "
                          f"{known or '{}'}); state them in the policy's configuration "
                          f"({', '.join(f'{m} = ...' for m in missing)})")
    if keys.identity:  # a hirobot server: it describes itself
        for k in ("cameras", "image_size", "obs_history", "device"):
            if known.get(k) is not None:
                fields[k] = known[k]
    extra = {k: v for k, v in known.items() if k not in fields and k not in PolicyMetadata.model_fields}
    try:
        return PolicyMetadata.model_validate({**extra, **fields})
    except Exception as e:
        raise PolicyError(f"the policy server for {name!r} sent metadata hirobot cannot use: {e}") from None
