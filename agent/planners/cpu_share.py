"""How many threads the local model may use for its next turn: as many as there are idle cores.

llama.cpp's worker threads wait for each other at a spinning barrier after every layer. On a
quiet 2-core machine two threads decode about twice as fast as one; with the second core
busy (the speech recogniser, a build, another model) two threads crawled at 1.5 tokens/s
where one made 28 (measured here). So before each turn the planner looks at how busy the
machine was since its last turn ended: the model was not running then, so everything seen
is other work, and it takes the cores that work left idle (at least one).
"""

from __future__ import annotations

import os
import time


def _cpu_times() -> tuple[float, float] | None:
    """(busy, total) jiffies of the whole machine, or None where /proc/stat cannot be read."""
    try:
        with open("/proc/stat") as f:
            fields = [float(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)  # idle + iowait
    total = sum(fields[:8])  # user nice system idle iowait irq softirq steal (guest is in user)
    return total - idle, total


class IdleCores:
    """Threads for the next turn. Call `threads()` before a turn and `turn_ended()` after."""

    MIN_WINDOW_S = 0.2  # a shorter gap since the last turn is sampled for this long instead

    def __init__(self, cores: int | None = None) -> None:
        self.cores = max(1, cores or os.cpu_count() or 1)
        self._since: tuple[float, tuple[float, float] | None] = (time.monotonic(), _cpu_times())

    def turn_ended(self) -> None:
        self._since = (time.monotonic(), _cpu_times())

    def threads(self) -> int:
        t0, before = self._since
        if time.monotonic() - t0 < self.MIN_WINDOW_S or before is None:
            before = _cpu_times()
            time.sleep(self.MIN_WINDOW_S)
        after = _cpu_times()
        if before is None or after is None or after[1] <= before[1]:
            return max(1, self.cores // 2)
        busy = (after[0] - before[0]) / (after[1] - before[1]) * self.cores
        return max(1, min(self.cores, round(self.cores - busy)))
