"""Task logs: one file per task under `.bluegreen/logs/<family-N>/`, read by `bluegreen logs`.

The drivers write them, each line stamped with the time it was read from the
task (`StampedLog`), so that `logs` can merge the lines of every task in
time order, as one stream, rather than one task after the other. A task's
log ends with bluegreen's own line saying how it ended ("task web-2-ab12
exited 1"), so the dead tasks of a failed attempt are marked where their
output stops. Reading needs no daemon: the logs of a crashed or stopped
platform are still there to read. With `follow`, the reader also picks up
the files of tasks started after it began (a new deployment's green, a
restarted task) without being started again.
"""

from __future__ import annotations

import contextlib
import heapq
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from ..errors import UsageError
from ..state_dir import StateDir, open_private

FOLLOW_POLL = 0.2
TAIL_BYTES = 300
NOTE = "[bluegreen] "
"""How bluegreen's own lines in a task's log begin (start failures, how the task ended)."""
STAMP_LENGTH = len("2026-01-31T23:59:59.123456Z")


def stamp(moment: float | None = None) -> bytes:
    """The time at the head of each line: ISO 8601 in UTC, to the microsecond."""
    when = datetime.fromtimestamp(time.time() if moment is None else moment, UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ").encode()


class StampedLog:
    """A task's output into its log file, each complete line stamped as it arrives."""

    def __init__(self, file: BinaryIO) -> None:
        self.file = file
        self.partial = b""

    def write(self, chunk: bytes) -> None:
        lines = (self.partial + chunk).split(b"\n")
        self.partial = lines.pop()
        if lines:
            now = stamp()
            self.file.write(b"".join(now + b" " + line + b"\n" for line in lines))
            self.file.flush()

    def close(self) -> None:
        """A last line without its newline is kept, with one."""
        if self.partial:
            self.write(b"\n")


def copy_stamped(read_fd: int, log_path: Path) -> threading.Thread:
    """Copy a task's stdout (the read end of its pipe) into its log, on a thread
    that ends when every process holding the write end has closed it. The log
    exists when this returns, even before the task's first line."""
    file = open_log(log_path)

    def copy() -> None:
        with os.fdopen(read_fd, "rb", buffering=0) as pipe, file:
            log = StampedLog(file)
            while chunk := pipe.read(65536):
                log.write(chunk)
            log.close()

    thread = threading.Thread(target=copy, name=f"log {log_path.stem}", daemon=True)
    thread.start()
    return thread


def open_log(log_path: Path) -> BinaryIO:
    return open(log_path, "ab", opener=open_private)


def note(log_path: Path, message: str) -> None:
    """A line of bluegreen's own in the task's log (how it started, how it ended)."""
    with open_log(log_path) as file:
        file.write(stamp() + b" " + NOTE.encode() + message.encode() + b"\n")


def note_end(log_path: Path, task_id: str, code: int, *, stopped: bool) -> None:
    """The last line of a task's log: stopped by bluegreen, or exited on its own."""
    how = f"stopped (exit code {code})" if stopped else f"exited {code}"
    with contextlib.suppress(OSError):
        note(log_path, f"task {task_id} {how}")


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
    """The task's own last lines, at most `limit` bytes, on one line for a message.

    A line cut by the limit is left out, and so are the stamps and bluegreen's
    own notes; a log that isn't there (the task never wrote one) has no lines.
    """
    try:
        with log_path.open("rb") as log:
            start = max(0, log.seek(0, os.SEEK_END) - limit)
            log.seek(start)
            data = log.read()
    except FileNotFoundError:
        return ""
    lines = data.decode(errors="replace").strip().splitlines()
    kept = lines[1:] if start and len(lines) > 1 else lines
    texts = (_parse(line)[1] for line in kept)
    return " | ".join(text for text in texts if not text.startswith(NOTE))


@dataclass(frozen=True)
class LogLine:
    time: float
    task: str
    text: str


def _parse(line: str) -> tuple[float | None, str]:
    """(its stamp, its text); a line without a stamp (an older log) has no time."""
    head = line[:STAMP_LENGTH]
    if len(line) > STAMP_LENGTH and line[STAMP_LENGTH] == " " and head.endswith("Z"):
        try:
            moment = datetime.strptime(head, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        except ValueError:
            return None, line
        return moment.timestamp(), line[STAMP_LENGTH + 1 :]
    return None, line


class _TaskLog:
    """One file being read: where it got to, and the time its last stamped line had."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.last_time = 0.0

    def read(self, complete_only: bool) -> list[LogLine]:
        """The lines after the last read, in the file's order (which is time order)."""
        try:
            with self.path.open("rb") as file:
                file.seek(self.offset)
                data = file.read()
        except FileNotFoundError:  # pruned with its revision meanwhile
            return []
        if complete_only:
            data = data[: data.rfind(b"\n") + 1]
        self.offset += len(data)
        lines = []
        for raw in data.decode(errors="replace").splitlines():
            moment, text = _parse(raw)
            self.last_time = moment if moment is not None else self.last_time
            lines.append(LogLine(self.last_time, self.path.stem, text))
        return lines


def read_lines(state: StateDir, revision: str | None, *, follow: bool) -> Iterator[LogLine]:
    """Every line of the chosen tasks in time order; with `follow`, then the new lines
    as they come, of those tasks and of every task started since (of any revision,
    unless `revision` names one)."""
    logs = {path: _TaskLog(path) for path in log_files(state, revision)}
    folders = [state.logs / revision.replace(":", "-")] if revision else None
    begun = time.time()
    while True:
        batches = [log.read(complete_only=follow) for log in logs.values()]
        yield from heapq.merge(*batches, key=lambda line: line.time)
        if not follow:
            return
        time.sleep(FOLLOW_POLL)
        for path in _written_since(state, folders, begun):
            logs.setdefault(path, _TaskLog(path))


def _written_since(state: StateDir, folders: list[Path] | None, begun: float) -> list[Path]:
    """Task logs written to since `begun` (tasks started since, or still running), in
    `folders`, or in any revision's folder that gained a file since."""
    if folders is None:
        folders = [f for f in _entries(state.logs) if f.is_dir() and _mtime(f) >= begun]
    return [p for f in folders for p in _entries(f) if p.suffix == ".log" and _mtime(p) >= begun]


def _entries(folder: Path) -> list[Path]:
    try:
        return sorted(folder.iterdir())
    except FileNotFoundError:
        return []


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0
