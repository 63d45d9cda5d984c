"""A real full disk for `state.db`: a small tmpfs that `.bluegreen/state.db` links into.

SQLite resolves the link, so the database and its -wal and -shm live on the tmpfs,
while the daemon's log, task logs and snapshots stay on the ordinary disk (the
app's tasks keep running, as they would with only the store's disk full). Filling
it is writing a file until the kernel says ENOSPC; the WAL only grows until its
first checkpoint (1,000 pages), so the store's next write then fails for real.
Mounting needs root (the test machine runs as root); elsewhere the tests skip.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bluegreen.state_dir import StateDir

SIZE = "8m"


class TinyDisk:
    def __init__(self, mount: Path) -> None:
        self.mount = mount
        self.filler = mount / "filler"

    def fill(self) -> None:
        """Write until the filesystem is full."""
        fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            while True:
                os.write(fd, b"\0" * 65536)
        except OSError as exc:
            assert exc.errno == 28, exc  # ENOSPC, nothing else
        finally:
            os.close(fd)
        small = os.open(self.filler.with_suffix(".tail"), os.O_WRONLY | os.O_CREAT, 0o600)
        try:  # the last few blocks a 64 KiB write could not take
            while True:
                os.write(small, b"\0" * 512)
        except OSError:
            pass
        finally:
            os.close(small)

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)
        self.filler.with_suffix(".tail").unlink(missing_ok=True)


@contextmanager
def tiny_disk_for(project_dir: Path, mount: Path) -> Iterator[TinyDisk]:
    """`project_dir`'s state.db on a fresh tmpfs at `mount`, unmounted afterwards."""
    mount.mkdir(parents=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={SIZE},mode=0700", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs (root needed): {done.stderr.strip()}")
    try:
        state = StateDir.of(project_dir)
        state.prepare()
        (state.path / "state.db").symlink_to(mount / "state.db")
        yield TinyDisk(mount)
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)
