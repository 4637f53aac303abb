"""Turning low-level failures into sentences a user can act on (for the CLI and the window)."""

from __future__ import annotations

import errno
import sqlite3


def user_message(exc: BaseException) -> str | None:
    """A clear message for failures with a known cause, or None for a genuine bug."""
    text = str(exc).lower()
    if isinstance(exc, (sqlite3.OperationalError, OSError)):
        if "disk is full" in text or getattr(exc, "errno", None) == errno.ENOSPC \
                or "no space left" in text:
            return ("the disk holding the index is full: free some space and run the same "
                    "command again (everything indexed so far is kept)")
        if "readonly" in text or "read-only" in text or getattr(exc, "errno", None) in (
                errno.EROFS, errno.EACCES, errno.EPERM):
            return ("cannot write to the index folder (it is read-only or belongs to another "
                    f"user): {exc}")
        if "database is locked" in text:
            return "the index is busy in another program; try again in a moment"
        if "unable to open database" in text:
            return f"cannot open the index: {exc}"
    if isinstance(exc, sqlite3.DatabaseError):
        return f"the index is damaged ({exc}): run `spyglass doctor` to repair it"
    return None
