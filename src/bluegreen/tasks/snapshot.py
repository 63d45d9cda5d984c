"""Content-addressed snapshots of an app's files, so a revision holds its code.

On AWS a revision runs an immutable image: rolling back runs yesterday's
code even if the working tree has moved on. Under the process driver there
is no image, so a revision is the task definition plus a snapshot of the
build context (what `docker build` would send: `.dockerignore` honoured,
bluegreen's own `.bluegreen/` left out), and its tasks run from that copy.

A snapshot is named by the SHA-256 of its file list (path, executable bit,
content hash), so identical content gives the same snapshot and any change
a new one. Hashing a file again is skipped when its size, mtime and inode
are those recorded the last time, which keeps a deploy of an unchanged
50 MB tree to a directory walk; as in git's index, a hash taken within
RACY_NS of the file's last change is not trusted later, since an edit of
the same size in the same clock tick would leave those numbers unchanged.
A snapshot is built in a temporary directory and renamed into place, so a
crash never leaves half of one under its final name.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import stat
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from docker.utils.build import exclude_paths

from ..images.build import context_excludes
from ..state_dir import make_private_dir, tighten, write_private

log = logging.getLogger(__name__)
INDEX_FILE = "index.json"
CHUNK = 1024 * 1024
RACY_NS = 2_000_000_000


@dataclass(frozen=True)
class Snapshot:
    digest: str
    path: Path

    @property
    def short(self) -> str:
        return self.digest[:12]


class SnapshotStore:
    """Snapshots under one directory (`.bluegreen/snapshots/`), one folder each."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._index_path = root / INDEX_FILE

    def take(self, context: Path) -> Snapshot:
        """The snapshot of `context` now: reused when its content is already stored."""
        files = included_files(context)
        index = self._read_index()
        entries = [(rel, *self._hash(context / rel, rel, index)) for rel in files]
        self._write_index(index)
        digest = hashlib.sha256(json.dumps(entries).encode()).hexdigest()
        snapshot = Snapshot(digest, self.root / digest)
        if not snapshot.path.is_dir():
            self._build(context, files, snapshot.path)
        return snapshot

    def get(self, digest: str) -> Snapshot | None:
        path = self.root / digest
        return Snapshot(digest, path) if path.is_dir() else None

    def prune(self, keep: set[str]) -> list[str]:
        """Remove every snapshot whose digest is not in `keep`; return what went."""
        removed = []
        for child in sorted(self.root.iterdir()) if self.root.is_dir() else []:
            if child.is_dir() and not child.name.startswith(".") and child.name not in keep:
                shutil.rmtree(child, ignore_errors=True)
                if child.exists():  # a file it could not remove: say so, keep it listed
                    log.warning("snapshot %s could not be removed from %s", child.name, self.root)
                else:
                    removed.append(child.name)
        return removed

    def _hash(self, path: Path, rel: str, index: dict[str, list[object]]) -> tuple[bool, str]:
        info = path.lstat()
        executable = bool(info.st_mode & stat.S_IXUSR)
        key: list[object] = [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino]
        known = index.get(rel)
        if known is not None and known[:4] == key:
            return executable, str(known[4])
        digest = file_sha256(path)
        if time.time_ns() - max(info.st_mtime_ns, info.st_ctime_ns) > RACY_NS:
            index[rel] = [*key, digest]
        return executable, digest

    def _build(self, context: Path, files: list[str], final: Path) -> None:
        make_private_dir(self.root)
        building = Path(tempfile.mkdtemp(prefix=".building-", dir=self.root))
        try:
            for rel in files:
                target = building / rel
                make_private_dir(target.parent)
                shutil.copy2(context / rel, target, follow_symlinks=False)
                tighten(target)  # the copy is the owner's tasks' alone; the x bit stays
            building.rename(final)
        except FileExistsError:  # another deploy built the same snapshot first
            shutil.rmtree(building, ignore_errors=True)
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise

    def _read_index(self) -> dict[str, list[object]]:
        try:
            data = json.loads(self._index_path.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _write_index(self, index: dict[str, list[object]]) -> None:
        make_private_dir(self.root)
        temporary = self._index_path.with_suffix(".tmp")
        write_private(temporary, json.dumps(index))
        temporary.replace(self._index_path)


def included_files(context: Path) -> list[str]:
    """Regular files and symlinks `docker build` would send, sorted, as relative paths."""
    found = []
    for rel in exclude_paths(str(context), context_excludes(context)):
        with contextlib.suppress(OSError):
            mode = os.lstat(context / rel).st_mode
            if stat.S_ISREG(mode) or stat.S_ISLNK(mode):
                found.append(rel)
    return sorted(found)


def file_sha256(path: Path) -> str:
    if path.is_symlink():
        return "symlink:" + os.readlink(path)
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
