"""Preferences a person taught the robot ("from now on cups go on the tray"), kept per user
across sessions in SQLite."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Memory:
    id: int
    user: str
    text: str
    created: float


class MemoryStore:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(self.path), check_same_thread=False)
        with self._conn:
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS memories (id INTEGER PRIMARY KEY AUTOINCREMENT, user TEXT NOT NULL, "
                "text TEXT NOT NULL, created REAL NOT NULL, UNIQUE(user, text))")

    def add(self, user: str, text: str) -> None:
        text = text.strip()
        if not text:
            raise ValueError("a memory needs some text")
        with self._conn:
            self._conn.execute("INSERT OR IGNORE INTO memories (user, text, created) VALUES (?, ?, ?)",
                               (user, text, time.time()))

    def list(self, user: str) -> list[Memory]:
        rows = self._conn.execute("SELECT id, user, text, created FROM memories WHERE user = ? ORDER BY id",
                                  (user,)).fetchall()
        return [Memory(*r) for r in rows]

    def forget(self, user: str, what: str) -> list[Memory]:
        """Forget by id, by exact text, or every memory containing `what`; returns what was forgotten.
        `what="all"` forgets everything the user taught."""
        mems = self.list(user)
        if what == "all":
            gone = mems
        elif what.isdigit():
            gone = [m for m in mems if m.id == int(what)]
        else:
            exact = [m for m in mems if m.text.lower() == what.lower()]
            gone = exact or [m for m in mems if what.lower() in m.text.lower()]
        with self._conn:
            self._conn.executemany("DELETE FROM memories WHERE id = ?", [(m.id,) for m in gone])
        return gone

    def close(self) -> None:
        self._conn.close()
