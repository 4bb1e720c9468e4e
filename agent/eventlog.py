"""The append-only event log of a session: one JSON object per line, flushed and synced per
event so a killed process loses at most the line it was writing."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any, Callable, Iterator

from pydantic import BaseModel

from agent.events import EVENT_ADAPTER


class EventLog:
    def __init__(self, path: str | Path, session: str = "",
                 on_failure: Callable[[OSError], None] | None = None) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.session = session
        # A write that fails (a full disk) is not raised into whoever published the event, which
        # may be the control loop: the log stops, and `on_failure` is told once.
        self.on_failure = on_failure
        self.failure: OSError | None = None
        self._lock = threading.Lock()
        # Append mode never rewrites what is there; a torn last line from a crash is skipped on
        # read, and ended here so the next event starts a line of its own.
        self._f = open(self.path, "a", encoding="utf-8")
        if _ends_torn(self.path):
            self._f.write("\n")
            self._f.flush()

    def append(self, event: BaseModel) -> None:
        if getattr(event, "session", None) == "" and self.session:
            event = event.model_copy(update={"session": self.session})
        line = event.model_dump_json()
        with self._lock:
            if self._f.closed or self.failure is not None:
                return
            try:
                self._f.write(line + "\n")
                self._f.flush()
                os.fsync(self._f.fileno())
                return
            except OSError as e:
                self.failure = e
        if self.on_failure is not None:
            self.on_failure(self.failure)

    def close(self) -> None:
        with self._lock:
            if not self._f.closed:
                try:
                    self._f.close()
                except OSError:
                    pass  # the write that failed was already reported

    def __enter__(self) -> "EventLog":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _ends_torn(path: Path) -> bool:
    with open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        if f.tell() == 0:
            return False
        f.seek(-1, os.SEEK_END)
        return f.read(1) != b"\n"


def read_events(path: str | Path) -> Iterator[Any]:
    """The typed events of a log. Lines that do not parse (a torn write) are skipped."""
    path = Path(path)
    if not path.exists():
        return
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                yield EVENT_ADAPTER.validate_python(json.loads(line))
            except Exception:
                continue
