"""Telling a full or failing disk apart from other errors, so it can be said in one line and
the job ended with the arm at rest instead of a crash."""

from __future__ import annotations

import errno
import sqlite3

# A write that failed because of the disk, not because of the program.
_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EROFS, errno.EFBIG}
_SQLITE = ("disk is full", "disk i/o error", "unable to open database", "readonly database", "attempt to write a readonly")


def storage_problem(e: BaseException | None) -> str | None:
    """What went wrong with the disk, or None when `e` (and what caused it) is something else."""
    seen = 0
    while e is not None and seen < 8:
        if isinstance(e, OSError) and e.errno in _ERRNOS:
            return e.strerror or str(e)
        if isinstance(e, sqlite3.OperationalError) and any(s in str(e).lower() for s in _SQLITE):
            return str(e)
        e = e.__cause__ or e.__context__
        seen += 1
    return None
