"""Preferences a person taught the robot ("from now on cups go on the tray"), kept per user
across sessions in SQLite."""

from __future__ import annotations

import re
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
        """Forget whole preferences: by id (from `list`), by their exact text (case and spacing
        aside), or every one with `what="all"`. Returns what was forgotten. A fragment forgets
        nothing (see `matching` to ask which one was meant); a blank is an error."""
        what = " ".join(what.split())
        if not what:
            raise ValueError("say which preference to forget: its id, its exact text, or 'all'")
        mems = self.list(user)
        if what == "all":
            gone = mems
        elif what.isascii() and what.isdigit():
            gone = [m for m in mems if m.id == int(what)]
        else:
            gone = [m for m in mems if " ".join(m.text.split()).lower() == what.lower()]
        with self._conn:
            self._conn.executemany("DELETE FROM memories WHERE id = ?", [(m.id,) for m in gone])
        return gone

    def matching(self, user: str, fragment: str) -> list[Memory]:
        """Preferences that hold `fragment` as whole words: the candidates to ask about when
        someone names a preference only in part."""
        fragment = " ".join(fragment.split())
        if not fragment:
            return []
        words = re.compile(r"\b" + re.escape(fragment) + r"\b", re.I)
        return [m for m in self.list(user) if words.search(" ".join(m.text.split()))]

    def close(self) -> None:
        self._conn.close()
