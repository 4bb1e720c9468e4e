"""Playing a chunking policy's answers at the control rate, one target per tick.

A policy answers with a chunk of T future targets, but an answer takes time. The streamer
asks for the next chunk on a background thread while the current one still has `k` ticks to
play (k follows the measured latency, in ticks, so the same rule works on a real-time and a
lockstep clock), and switches chunks at a seam:

    request at tick r  (observation of tick r: row 0 of the answer is tick r's target)
    answer  at tick a  -> rows 0 .. a-r-1 are already in the past and are skipped
    seam: B ticks of linear cross-fade from what the old chunk would have commanded
          (its unplayed tail, padded with the last target) to the new chunk's rows

Only the first T - B rows of a chunk are played before the seam: the last B are kept as the
old side of the cross-fade. When an answer is late the old chunk's tail is played out and
then the last target is held (an idle tick): the arm waits instead of jumping.

Blocking mode (for lockstep clocks, where the world waits for the loop): the streamer waits
for a late answer instead of idling, so a simulated run is the same however slow the host is.
"""

from __future__ import annotations

import concurrent.futures
import math
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from skills.policies.base import Policy, PolicyError, PolicyMetadata, check_chunk


@dataclass
class StreamStats:
    """What a run of the streamer measured (the benchmark and the step's outcome report these)."""

    calls: int = 0
    latencies_s: list[float] = field(default_factory=list)  # wall time of each answer
    latency_ticks: list[int] = field(default_factory=list)  # ticks between request and use
    seams: int = 0
    seam_jumps: list[float] = field(default_factory=list)  # largest joint step at each seam (rad)
    max_step: float = 0.0  # largest joint step between any two consecutive targets (rad)
    idle_ticks: int = 0  # ticks spent holding because no answer had come
    late_ticks: int = 0  # ticks spent playing an old chunk's tail past its usual seam
    startup_ticks: int = 0  # ticks held before the first chunk came
    wait_s: float = 0.0  # blocking mode: wall time spent waiting for late answers

    def summary(self) -> dict[str, Any]:
        lat = np.asarray(self.latencies_s) * 1e3
        return {
            "calls": self.calls,
            "latency_ms_p50": float(np.percentile(lat, 50)) if lat.size else 0.0,
            "latency_ms_p95": float(np.percentile(lat, 95)) if lat.size else 0.0,
            "seams": self.seams,
            "seam_jump_max_rad": float(max(self.seam_jumps, default=0.0)),
            "max_step_rad": self.max_step,
            "idle_ticks": self.idle_ticks,
            "late_ticks": self.late_ticks,
            "startup_ticks": self.startup_ticks,
        }


class ChunkStreamer:
    """Turns a policy into one target per tick. Call `start(obs)` once, then `tick(obs)` every tick."""

    def __init__(self, policy: Policy, meta: PolicyMetadata | None = None, *, blend_ticks: int = 4,
                 min_prefetch: int = 2, blocking: bool = False, max_wait_s: float = 30.0) -> None:
        self.policy = policy
        self.meta = meta or policy.metadata
        self.blend_ticks = max(0, int(blend_ticks))
        self.min_prefetch = max(1, int(min_prefetch))
        self.blocking = blocking
        self.max_wait_s = max_wait_s
        self.stats = StreamStats()
        self.done = False  # the policy said the task is finished
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="policy-infer")
        self._pending: concurrent.futures.Future | None = None
        self._pending_tick = 0
        self._chunk: np.ndarray | None = None
        self._idx = 0
        self._tick = 0
        self._last: np.ndarray | None = None
        self._recent_latency = deque(maxlen=8)

    # -- the per-tick interface ----------------------------------------------------------------
    def start(self, obs_fn: Callable[[], dict[str, Any]], current: np.ndarray) -> None:
        """Ask for the first chunk; `current` (joints + gripper) is held until it comes."""
        self._last = np.asarray(current, float).copy()
        self._request(obs_fn)

    def tick(self, obs_fn: Callable[[], dict[str, Any]]) -> np.ndarray:
        """The target for this tick. `obs_fn` builds the policy's input; called only when a request goes out."""
        row = self._next_row()
        if self._pending is None and self._should_request():
            self._request(obs_fn)  # observation of this tick: row 0 of its answer is this tick's target
        self._note(row)
        self._tick += 1
        return row

    def close(self) -> None:
        # Never wait for an answer in flight: a cancelled step must come to rest now.
        self._pool.shutdown(wait=False, cancel_futures=True)

    # -- internals -----------------------------------------------------------------------------
    @property
    def prefetch_ticks(self) -> int:
        """How many ticks before the seam the next request goes out: the recent worst latency plus one."""
        if self.blocking or not self._recent_latency:
            return self.min_prefetch
        horizon_room = max(1, self._n_exec(self.meta.action_horizon) - 1)
        return int(min(max(self.min_prefetch, max(self._recent_latency) + 1), horizon_room))

    def _n_exec(self, T: int) -> int:
        return max(1, T - self.blend_ticks)

    def _should_request(self) -> bool:
        if self._chunk is None:
            return True
        return self._idx >= self._n_exec(len(self._chunk)) - self.prefetch_ticks

    def _request(self, obs_fn: Callable[[], dict[str, Any]]) -> None:
        obs = obs_fn()
        self._pending_tick = self._tick
        t0 = time.perf_counter()

        def call() -> tuple[np.ndarray, bool, float]:
            out = self.policy.infer(obs)
            if not isinstance(out, dict) or "actions" not in out:
                raise PolicyError(f"policy {self.meta.name!r} answered without 'actions'")
            return check_chunk(out["actions"], self.meta), bool(out.get("done", False)), time.perf_counter() - t0

        self._pending = self._pool.submit(call)
        self.stats.calls += 1

    def _take_answer(self, wait: bool) -> tuple[np.ndarray, bool] | None:
        fut = self._pending
        if fut is None:
            return None
        if not fut.done():
            if not wait:
                return None
            t0 = time.perf_counter()
            try:
                fut.result(timeout=self.max_wait_s)
            except concurrent.futures.TimeoutError:
                raise PolicyError(f"policy {self.meta.name!r} gave no answer within {self.max_wait_s:.0f} s") from None
            except Exception:
                pass  # raised below with its own message
            self.stats.wait_s += time.perf_counter() - t0
        self._pending = None
        try:
            chunk, done, latency = fut.result()
        except PolicyError:
            raise
        except Exception as e:
            raise PolicyError(f"policy {self.meta.name!r} failed: {type(e).__name__}: {e}") from e
        self.stats.latencies_s.append(latency)
        ticks = self._tick - self._pending_tick
        self.stats.latency_ticks.append(ticks)
        self._recent_latency.append(ticks)
        return chunk, done

    def _next_row(self) -> np.ndarray:
        assert self._last is not None, "call start() first"
        at_seam = self._chunk is None or self._idx >= self._n_exec(len(self._chunk))
        if at_seam:
            got = self._take_answer(wait=self.blocking)
            if got is not None:
                chunk, done = got
                self.done = self.done or done
                self._switch(chunk)
            elif self._chunk is not None and self._idx < len(self._chunk):
                self.stats.late_ticks += 1  # late: play the old chunk's tail while waiting
            else:
                if self._chunk is None:
                    self.stats.startup_ticks += 1
                else:
                    self.stats.idle_ticks += 1
                return self._last.copy()  # late and nothing left: hold, never jump
        row = self._chunk[self._idx].copy()
        self._idx += 1
        return row

    def _switch(self, new: np.ndarray) -> None:
        """Make `new` the current chunk, skipping the rows already in the past, blended in."""
        new = new.copy()
        T = len(new)
        skip = max(0, min(self._tick - self._pending_tick, T - 1))  # the row meant for this tick
        B = min(self.blend_ticks, T - skip)
        old_future = self._old_future(B)
        for j in range(B):
            w = (j + 1) / (B + 1)
            new[skip + j] = (1.0 - w) * old_future[j] + w * new[skip + j]
        if self._chunk is not None:
            self.stats.seams += 1
            self.stats.seam_jumps.append(float(np.max(np.abs(new[skip][:-1] - self._last[:-1]))))
        self._chunk, self._idx = new, skip

    def _old_future(self, n: int) -> np.ndarray:
        """What the old chunk would have commanded for the next `n` ticks, padded with the last target."""
        rows = [] if self._chunk is None else list(self._chunk[self._idx:self._idx + n])
        while len(rows) < n:
            rows.append(self._last.copy())
        return np.asarray(rows, float).reshape(n, -1) if n else np.zeros((0, len(self._last)))

    def _note(self, row: np.ndarray) -> None:
        if self._last is not None:
            self.stats.max_step = max(self.stats.max_step, float(np.max(np.abs(row[:-1] - self._last[:-1]))))
        self._last = row.copy()


def ticks_for(seconds: float, rate_hz: float) -> int:
    return max(1, math.ceil(seconds * rate_hz))
