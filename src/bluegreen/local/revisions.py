"""The revisions a service can run: a registered task definition plus, under the
process driver, a snapshot of the app's files.

A revision must hold its code, or `rollback` and the restore after a crash
would run whatever is in the working tree today. An image does that for the
Docker driver; for the process driver the service snapshots the project
directory (the build context) when the revision is registered, and the
revision's identity is the definition and the snapshot's digest together.
Snapshots go with history: after each deployment only those of the newest
`local.keep_snapshots` revisions and of any revision still running stay.

Hashing and copying files is blocking work, so it runs on a worker thread,
never in the loop that proxies traffic; one lock keeps a prune from
removing a snapshot that a deploy has taken but not yet registered, or one
a deployment is about to run.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..spec.task_definition import TaskDefinition
from ..tasks.dockerfile import read_dockerfile
from ..tasks.snapshot import SnapshotStore
from .store import RevisionRow, Store
from .store_thread import StoreThread

log = logging.getLogger(__name__)

SNAPSHOTS_DIR = "snapshots"


@dataclass(frozen=True)
class RunnableRevision:
    revision: str
    taskdef: TaskDefinition
    workdir: Path | None
    """Where its tasks run: its snapshot, or None for the project directory (an image)."""


class Revisions:
    def __init__(
        self, store: StoreThread, project_dir: Path, snapshots: SnapshotStore | None, keep: int
    ) -> None:
        self.store = store
        self.project_dir = project_dir
        self.snapshots = snapshots
        """None when the driver runs images, which hold their code themselves."""
        self.keep = keep
        self._lock = asyncio.Lock()

    @classmethod
    def for_driver(
        cls, store: StoreThread, project_dir: Path, state_dir: Path, driver: str, keep: int
    ) -> Revisions:
        snapshots = SnapshotStore(state_dir / SNAPSHOTS_DIR) if driver == "process" else None
        return cls(store, project_dir, snapshots, keep)

    async def register(self, taskdef: dict[str, Any]) -> str:
        """`family:N` for this definition and (process driver) the project's files now."""
        async with self._lock:
            digest = await asyncio.to_thread(self._snapshot) if self.snapshots else None
            return await self.store.call(lambda store: store.register_revision(taskdef, digest))

    def _snapshot(self) -> str:
        """Take the snapshot; a Dockerfile it can't run is refused now (SpecError)."""
        assert self.snapshots is not None
        snapshot = self.snapshots.take(self.project_dir)
        read_dockerfile(snapshot.path)
        return snapshot.digest

    async def get(self, revision: str) -> RunnableRevision | None:
        """The revision as the runner starts it; taken under the lock, so a prune
        never removes its snapshot between this answer and the deployment's start."""
        async with self._lock:
            row = await self.store.call(lambda store: store.revision(revision))
            return self._runnable(row) if row else None

    def _runnable(self, row: RevisionRow) -> RunnableRevision:
        workdir = None
        if row.snapshot is not None and self.snapshots is not None:
            snapshot = self.snapshots.get(row.snapshot)
            if snapshot is None:
                raise UsageError(
                    f"revision {row.id} runs a snapshot of the app's files "
                    f"({row.snapshot[:12]}) that is no longer kept; raise [local] keep_snapshots"
                )
            workdir = snapshot.path
        return RunnableRevision(row.id, TaskDefinition.from_document(row.taskdef), workdir)

    async def prune(self, running: Callable[[], Iterable[str]]) -> None:
        """Remove the snapshots of all but the newest revisions and those `running()`
        (asked under the lock: a deployment begun meanwhile is counted). A failure
        (a full disk, a permission) is logged: it must not end the daemon."""
        if self.snapshots is None:
            return
        async with self._lock:
            names = set(running())
            try:
                keep = await self.store.call(lambda store: _kept(store, self.keep, names))
                removed = await asyncio.to_thread(self.snapshots.prune, keep)
            except Exception as exc:
                log.error("pruning snapshots failed: %r", exc)
                return
        log.info("pruned %d snapshots, kept %d", len(removed), len(keep))


def _kept(store: Store, newest: int, running: set[str]) -> set[str]:
    rows = (store.revision(name) for name in running)
    return store.newest_snapshots(newest) | {row.snapshot for row in rows if row and row.snapshot}
