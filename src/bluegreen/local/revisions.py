"""The revisions a service can run: a registered task definition plus its code,
and the settings it runs with (its command, health check and hooks:
`applied_settings`).

A revision must hold its code, or `rollback` and the restore after a crash
would run whatever is in the working tree today. Under the process driver
the service snapshots the project directory (the build context) when the
revision is registered, and the revision's identity is the definition and
the snapshot's digest together. Under the Docker driver (the daemon's, or
the one `deploy --image` gets under the process driver) it is the
definition and the ids its images resolve to then (`tasks/image_pins.py`):
its tasks run those ids, so a tag rebuilt since makes a new revision and a
rollback runs the old image. Snapshots go with history: after each
deployment only those of the newest `local.keep_snapshots` revisions and of
any revision still running stay; images are the engine's to keep.

Hashing and copying files is blocking work, so it runs on a worker thread,
never in the loop that proxies traffic; one lock keeps a prune from
removing a snapshot that a deploy has taken but not yet registered, or one
a deployment is about to run.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..spec.config import BluegreenConfig
from ..spec.task_definition import TaskDefinition
from ..tasks.dockerfile import read_dockerfile
from ..tasks.image_pins import ImageDriver, ImagePin, pinned, pins_from_json, pins_to_json
from ..tasks.snapshot import SnapshotStore
from .applied_settings import revision_settings, run_config
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
    settings: dict[str, Any] | None
    """What it was registered with; None for a revision registered before they were kept."""
    images: tuple[ImagePin, ...] | None = None
    """Its pinned images (`taskdef` runs their ids); None: none pinned."""
    driver: ImageDriver | None = None
    """What runs its pinned images; None: the daemon's own driver."""

    def config(self, today: BluegreenConfig) -> BluegreenConfig:
        """`today`'s deployment settings running this revision's own command, health
        check and hooks (today's, for a revision that recorded none)."""
        if self.settings is None:
            log.warning("%s has no recorded settings; it runs with today's", self.revision)
            return today
        return run_config(today, self.settings)


ImageDrivers = Callable[[str], Awaitable[ImageDriver]]
"""The Docker driver, for what (named) needs one; a UsageError when none answers."""


class Revisions:
    def __init__(
        self,
        store: StoreThread,
        project_dir: Path,
        snapshots: SnapshotStore | None,
        keep: int,
        images: ImageDrivers,
    ) -> None:
        self.store = store
        self.project_dir = project_dir
        self.snapshots = snapshots
        """None when the daemon's driver runs images, which hold their code themselves."""
        self.keep = keep
        self.images = images
        self._lock = asyncio.Lock()

    @classmethod
    def for_driver(
        cls,
        store: StoreThread,
        project_dir: Path,
        state_dir: Path,
        driver: str,
        keep: int,
        images: ImageDrivers,
    ) -> Revisions:
        snapshots = SnapshotStore(state_dir / SNAPSHOTS_DIR) if driver == "process" else None
        return cls(store, project_dir, snapshots, keep, images)

    async def register(
        self, taskdef: dict[str, Any], config: BluegreenConfig, engine: ImageDriver | None
    ) -> RunnableRevision:
        """`family:N` for this definition, `config`'s revision settings and its code
        now: the ids of its images when `engine` pins them, else (process driver)
        the project's files; as the runner starts it."""
        settings = revision_settings(config)
        async with self._lock:
            digest, images = None, None
            if engine is not None:
                typed = TaskDefinition.from_document(taskdef)
                images = pins_to_json(await engine.pin(typed, config.service.container))
            elif self.snapshots:
                digest = await asyncio.to_thread(self._snapshot)
            row = await self.store.call(
                lambda store: store.revision(
                    store.register_revision(taskdef, digest, settings, images)
                )
            )
            assert row is not None, "registered just now"
            return await self._runnable(row)

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
            return await self._runnable(row) if row else None

    async def _runnable(self, row: RevisionRow) -> RunnableRevision:
        workdir = None
        if row.snapshot is not None and self.snapshots is not None:
            snapshot = self.snapshots.get(row.snapshot)
            if snapshot is None:
                raise UsageError(
                    f"revision {row.id} runs a snapshot of the app's files "
                    f"({row.snapshot[:12]}) that is no longer kept; raise [local] keep_snapshots"
                )
            workdir = snapshot.path
        taskdef = TaskDefinition.from_document(row.taskdef)
        pins = pins_from_json(row.images)
        if pins is None:
            return RunnableRevision(row.id, taskdef, workdir, row.settings)
        driver = await self.images(f"revision {row.id} runs images")
        await driver.ensure_present(row.id, pins)
        return RunnableRevision(row.id, pinned(taskdef, pins), None, row.settings, pins, driver)

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
