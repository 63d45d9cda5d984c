"""Task logs: one file per task under `.bluegreen/logs/<family-N>/`, read by `bluegreen logs`.

The runner's drivers write them; reading needs no daemon, so logs of a
crashed or stopped platform are still there to read.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

from ..errors import UsageError
from ..state_dir import StateDir

FOLLOW_POLL = 0.2
TAIL_BYTES = 300


def log_files(state: StateDir, revision: str | None) -> list[Path]:
    """The task logs of `revision` (family:N), or of the newest revision that has any."""
    if revision:
        folder = state.logs / revision.replace(":", "-")
        if not folder.is_dir():
            raise UsageError(f"--revision {revision}: no task logs for that revision")
        return sorted(folder.glob("*.log"))
    folders = [f for f in state.logs.glob("*") if f.is_dir()] if state.logs.is_dir() else []
    if not folders:
        return []
    newest = max(folders, key=lambda f: f.stat().st_mtime)
    return sorted(newest.glob("*.log"))


def tail(log_path: Path, limit: int = TAIL_BYTES) -> str:
    """The last lines of a task's log, at most `limit` bytes, on one line for a message.

    A line cut by the limit is left out; a log that isn't there (the task
    never wrote one) has no lines.
    """
    try:
        with log_path.open("rb") as log:
            start = max(0, log.seek(0, os.SEEK_END) - limit)
            log.seek(start)
            data = log.read()
    except FileNotFoundError:
        return ""
    lines = data.decode(errors="replace").strip().splitlines()
    return " | ".join(lines[1:] if start and len(lines) > 1 else lines)


def read_lines(files: list[Path], *, follow: bool) -> Iterator[tuple[str, str]]:
    """(task id, line) for every line so far; with `follow`, new lines as they come."""
    offsets = dict.fromkeys(files, 0)
    while True:
        for path in files:
            with path.open("rb") as file:
                file.seek(offsets[path])
                data = file.read()
            complete = data[: data.rfind(b"\n") + 1] if follow else data
            offsets[path] += len(complete)
            for line in complete.decode(errors="replace").splitlines():
                yield path.stem, line
        if not follow:
            return
        time.sleep(FOLLOW_POLL)
