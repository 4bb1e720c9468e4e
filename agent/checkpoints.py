"""The session's checkpoint store: LangGraph's SQLite saver, keeping only the latest states.

A resume needs the newest checkpoint of a thread (and its pending writes, which hold an open
question); older ones are history nobody reads. Without pruning, every step stores the whole
plan again, so the file grows with steps times plan length; pruned, it stays the size of one
state.
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path
from typing import Any

from langgraph.checkpoint.sqlite import SqliteSaver

KEEP = 2  # the newest checkpoint and its parent


class PrunedSqliteSaver(SqliteSaver):
    # Set once the session's disk failed: no later state is saved, so the last good checkpoint
    # (from before the failure) is what a resume continues from, not a job ended by the failure.
    refuse_writes: bool = False

    def _check_writable(self) -> None:
        if self.refuse_writes:
            raise OSError(errno.ENOSPC, "No space left on device (the session stopped saving its state)")

    def put_writes(self, config: Any, writes: Any, task_id: str, task_path: str = "") -> None:
        self._check_writable()
        super().put_writes(config, writes, task_id, task_path)

    def put(self, config: Any, checkpoint: Any, metadata: Any, new_versions: Any) -> Any:
        self._check_writable()
        saved = super().put(config, checkpoint, metadata, new_versions)
        thread = str(saved["configurable"]["thread_id"])
        ns = saved["configurable"]["checkpoint_ns"]
        with self.cursor() as cur:
            cur.execute("SELECT checkpoint_id FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = ? "
                        "ORDER BY checkpoint_id DESC LIMIT 1 OFFSET ?", (thread, ns, KEEP - 1))
            row = cur.fetchone()
            if row is not None:
                oldest_kept = row[0]
                cur.execute("DELETE FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id < ?",
                            (thread, ns, oldest_kept))
                cur.execute("DELETE FROM writes WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id < ?",
                            (thread, ns, oldest_kept))
        return saved


def sqlite_checkpointer(path: str | Path, serde: Any = None) -> PrunedSqliteSaver:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), check_same_thread=False)
    return PrunedSqliteSaver(conn, serde=serde)


def checkpoint_bytes(path: str | Path) -> int:
    """Bytes the session's saved state takes on disk (the database and its journal)."""
    p = Path(path)
    return sum(q.stat().st_size for q in (p, p.with_name(p.name + "-journal"), p.with_name(p.name + "-wal"))
               if q.exists())
