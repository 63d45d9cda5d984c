"""How the store fails, said so that the user knows what to do.

A full or read-only disk is `StoreFailed` (a platform trouble, exit 4, the
deployment in flight ends on it); a `state.db` whose content bluegreen
cannot use is `CorruptState` (exit 2: the user's file, with the way out),
never a traceback, and never silently taken for a fresh one. `reset_state`
is that way out: the file moves aside, kept for whoever wants to look.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import time
from pathlib import Path

from ..errors import PlatformError, Problem, SpecError

DISK_TROUBLE = frozenset({"FULL", "READONLY", "IOERR", "CANTOPEN", "BUSY", "LOCKED", "PERM"})
"""SQLite's error names (without SQLITE_) that mean the disk, not the file's content."""
RESET_HINT = (
    "`bluegreen up --reset-state` moves it aside (to state.db.corrupt-<time>) and starts afresh"
)


class StoreFailed(PlatformError):
    """A read or write of `state.db` failed (disk full, read-only, corrupt): said in one
    line naming the file and what the OS or SQLite said, so the user knows what to free
    or fix."""

    def __init__(self, path: Path, error: sqlite3.Error) -> None:
        super().__init__(f"{path}: {error}{_os_cause(path, error)}")


def _os_cause(path: Path, error: sqlite3.Error) -> str:
    """What the OS says beside SQLite's own words: SQLite reports ENOSPC and EROFS as
    "database or disk is full" and "attempt to write a readonly database"."""
    name = getattr(error, "sqlite_errorname", "")
    if name == "SQLITE_FULL":
        return f" ({os.strerror(errno.ENOSPC)})"
    if name.startswith("SQLITE_READONLY"):
        try:
            read_only = bool(os.statvfs(path.parent).f_flag & os.ST_RDONLY)
        except OSError:
            read_only = False
        return f" ({os.strerror(errno.EROFS if read_only else errno.EACCES)})"
    return f" ({name})" if name else ""


class CorruptState(SpecError):
    """`state.db` is not a database this bluegreen can use (garbage, empty, truncated,
    from a newer version, missing its tables): exit 2, naming the file and the way out,
    instead of a traceback or, worse, silently starting afresh over it."""

    def __init__(self, path: Path, why: str) -> None:
        super().__init__(Problem(str(path), "", f"{why}; {RESET_HINT}"))


def reset_state(path: Path) -> Path | None:
    """Move `path` (with its -wal and -shm) aside to `<name>.corrupt-<time>`; where it
    went, or None when there was none."""
    if not path.exists():
        return None
    aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
    for suffix in ("-wal", "-shm", ""):
        part = path.with_name(path.name + suffix)
        if part.exists():
            part.rename(aside.with_name(aside.name + suffix))
    return aside
