"""What the local platform runs now, read from `state.db` without the daemon.

`plan` must change nothing, so it reads the store read-only
(`Store(read_only=True)`: never created, migrated or written). It works
the same whether the daemon is up or not: the stable revision, its task
definition and snapshot, and the settings of the deployment that made it
stable are all on disk.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import PlatformError
from ..platform import LiveState
from ..state_dir import StateDir
from ..vocabulary import Status
from .recovery import settings_from_json
from .revisions import SNAPSHOTS_DIR
from .store import STATE_DB, Store


def read_live(project_dir: Path, proposed: Mapping[str, Any]) -> LiveState:
    state = StateDir.of(project_dir)
    path = state.path / STATE_DB
    if not path.is_file():
        return LiveState(revision=None, taskdef=None, proposed=proposed)
    try:
        store = Store(path, read_only=True)
        try:
            return _read(store, state.path, proposed)
        finally:
            store.close()
    except sqlite3.Error as exc:
        raise PlatformError(f"{path}: cannot be read ({exc})") from None


def _read(store: Store, state: Path, proposed: Mapping[str, Any]) -> LiveState:
    revision = store.stable_revision
    row = store.revision(revision) if revision else None
    if revision is None or row is None:
        return LiveState(revision=None, taskdef=None, proposed=proposed)
    files = state / SNAPSHOTS_DIR / row.snapshot if row.snapshot else None
    made_live = next(
        (
            d
            for d in store.deployments(limit=None)
            if d.revision == revision and d.status is Status.SUCCEEDED
        ),
        None,
    )
    return LiveState(
        revision=revision,
        taskdef=row.taskdef,
        proposed=proposed,
        settings=settings_from_json(made_live.settings) if made_live else None,
        files=files if files and files.is_dir() else None,
    )
