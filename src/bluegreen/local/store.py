"""The local platform's memory: one SQLite file (WAL) in `.bluegreen/state.db`.

It holds what must outlive the daemon: registered revisions (the rendered
task definition and, under the process driver, the digest of the snapshot
of the app's files it runs, both immutable once stored), deployments with every engine
input they received (written *before* the input is handled, so replaying
them rebuilds the deployment) and their event log, and the stable revision
that a restarted daemon serves again. The schema is versioned with
`PRAGMA user_version`; each migration is one script, applied once, in order.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..engine.events import Event
from ..state_dir import PRIVATE_FILE, make_private_dir
from ..vocabulary import Status

MIGRATIONS = (
    """
    CREATE TABLE revisions (
        id TEXT PRIMARY KEY, family TEXT NOT NULL, number INTEGER NOT NULL,
        taskdef TEXT NOT NULL, created REAL NOT NULL, UNIQUE (family, number));
    CREATE TABLE deployments (
        id TEXT PRIMARY KEY, revision TEXT NOT NULL REFERENCES revisions(id),
        blue_revision TEXT, status TEXT NOT NULL, settings TEXT NOT NULL,
        created REAL NOT NULL, ended REAL, message TEXT NOT NULL DEFAULT '',
        rollback_of TEXT, weights TEXT);
    CREATE TABLE inputs (
        deployment_id TEXT NOT NULL REFERENCES deployments(id), seq INTEGER NOT NULL,
        payload TEXT NOT NULL, PRIMARY KEY (deployment_id, seq));
    CREATE TABLE events (
        deployment_id TEXT NOT NULL REFERENCES deployments(id), seq INTEGER NOT NULL,
        payload TEXT NOT NULL, PRIMARY KEY (deployment_id, seq));
    CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    # The digest of the revision's snapshot (process driver); NULL: the image is the code.
    "ALTER TABLE revisions ADD COLUMN snapshot TEXT;",
)


@dataclass(frozen=True)
class RevisionRow:
    id: str
    taskdef: dict[str, Any]
    snapshot: str | None
    """The digest of the app's files this revision runs; None when its image holds them."""


@dataclass(frozen=True)
class DeploymentRow:
    id: str
    revision: str
    blue_revision: str | None
    status: Status
    settings: dict[str, Any]
    created: float
    ended: float | None
    message: str
    rollback_of: str | None
    weights: dict[str, int] | None


class Store:
    def __init__(self, path: Path) -> None:
        make_private_dir(path.parent)
        # SQLite gives -wal and -shm the database file's mode, so a file created
        # 0600 here keeps the task definitions they hold (secrets too) private.
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE))
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self._migrate()

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            self.db.executescript(f"BEGIN; {script}; PRAGMA user_version = {number}; COMMIT;")

    def close(self) -> None:
        self.db.close()

    # revisions
    def register_revision(self, taskdef: dict[str, Any], snapshot: str | None = None) -> str:
        """`family:N`; the same definition and snapshot registered before keep their
        revision (an unchanged redeploy), and a change of either makes a new one."""
        family = str(taskdef.get("family") or "task")
        content = json.dumps(taskdef, sort_keys=True)
        same = self.db.execute(
            "SELECT id FROM revisions WHERE family = ? AND taskdef = ? AND snapshot IS ?",
            (family, content, snapshot),
        ).fetchone()
        if same:
            return str(same["id"])
        newest = self.db.execute(
            "SELECT MAX(number) FROM revisions WHERE family = ?", (family,)
        ).fetchone()[0]
        revision = f"{family}:{(newest or 0) + 1}"
        self.db.execute(
            "INSERT INTO revisions (id, family, number, taskdef, created, snapshot)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (revision, family, (newest or 0) + 1, content, time.time(), snapshot),
        )
        return revision

    def revision(self, revision: str) -> RevisionRow | None:
        row = self.db.execute(
            "SELECT id, taskdef, snapshot FROM revisions WHERE id = ?", (revision,)
        ).fetchone()
        return RevisionRow(row["id"], json.loads(row["taskdef"]), row["snapshot"]) if row else None

    def newest_snapshots(self, count: int) -> set[str]:
        """The snapshot digests of the `count` most recently registered revisions."""
        rows = self.db.execute(
            "SELECT snapshot FROM revisions WHERE snapshot IS NOT NULL"
            " ORDER BY created DESC, rowid DESC LIMIT ?",
            (count,),
        )
        return {str(row["snapshot"]) for row in rows}

    # deployments
    def create_deployment(
        self, row_id: str, revision: str, blue: str | None, settings: dict[str, Any], **extra: Any
    ) -> None:
        self.db.execute(
            "INSERT INTO deployments (id, revision, blue_revision, status, settings, created,"
            " rollback_of) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                row_id,
                revision,
                blue,
                Status.CREATED.value,
                json.dumps(settings),
                time.time(),
                extra.get("rollback_of"),
            ),
        )

    def update_deployment(self, deployment_id: str, **fields: Any) -> None:
        """Set status / ended / message / weights (dicts are stored as JSON)."""
        allowed = {"status", "ended", "message", "weights"}
        if not fields.keys() <= allowed:
            raise ValueError(f"unknown fields {set(fields) - allowed}")
        values = [json.dumps(v) if isinstance(v, dict) else v for v in fields.values()]
        assignments = ", ".join(f"{name} = ?" for name in fields)
        self.db.execute(
            f"UPDATE deployments SET {assignments} WHERE id = ?", (*values, deployment_id)
        )

    def deployment(self, deployment_id: str | None = None) -> DeploymentRow | None:
        """The given deployment, or the newest."""
        if deployment_id is None:
            rows = self.deployments(limit=1)
            return rows[0] if rows else None
        row = self.db.execute("SELECT * FROM deployments WHERE id = ?", (deployment_id,))
        found = row.fetchone()
        return _deployment_row(found) if found else None

    def deployments(self, limit: int = 20) -> list[DeploymentRow]:
        rows = self.db.execute(
            "SELECT * FROM deployments ORDER BY created DESC, rowid DESC LIMIT ?", (limit,)
        )
        return [_deployment_row(r) for r in rows]

    def unfinished(self) -> list[DeploymentRow]:
        terminal = tuple(s.value for s in Status if s.terminal)
        rows = self.db.execute(
            "SELECT * FROM deployments WHERE status NOT IN (?, ?, ?) ORDER BY created", terminal
        )
        return [_deployment_row(r) for r in rows]

    # the append-only logs
    def append_input(self, deployment_id: str, payload: dict[str, Any]) -> None:
        self._append("inputs", deployment_id, payload)

    def inputs(self, deployment_id: str) -> list[dict[str, Any]]:
        return list(self._read("inputs", deployment_id))

    def append_event(self, event: Event) -> int:
        return self._append("events", event.deployment_id, event.to_dict())

    def events(self, deployment_id: str, after: int = 0) -> Iterator[tuple[int, Event]]:
        rows = self.db.execute(
            "SELECT seq, payload FROM events WHERE deployment_id = ? AND seq > ? ORDER BY seq",
            (deployment_id, after),
        )
        for row in rows.fetchall():
            yield row["seq"], Event.from_dict(json.loads(row["payload"]))

    def _append(self, table: str, deployment_id: str, payload: dict[str, Any]) -> int:
        row = self.db.execute(
            f"SELECT COALESCE(MAX(seq), 0) + 1 FROM {table} WHERE deployment_id = ?",
            (deployment_id,),
        ).fetchone()
        seq = int(row[0])
        self.db.execute(
            f"INSERT INTO {table} VALUES (?, ?, ?)", (deployment_id, seq, json.dumps(payload))
        )
        return seq

    def _read(self, table: str, deployment_id: str) -> Iterator[dict[str, Any]]:
        rows = self.db.execute(
            f"SELECT payload FROM {table} WHERE deployment_id = ? ORDER BY seq", (deployment_id,)
        )
        for row in rows.fetchall():
            yield json.loads(row["payload"])

    # small key/value state
    @property
    def stable_revision(self) -> str | None:
        row = self.db.execute("SELECT value FROM state WHERE key = 'stable_revision'").fetchone()
        return str(row["value"]) if row else None

    @stable_revision.setter
    def stable_revision(self, revision: str | None) -> None:
        if revision is None:
            self.db.execute("DELETE FROM state WHERE key = 'stable_revision'")
            return
        self.db.execute(
            "INSERT INTO state VALUES ('stable_revision', ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (revision,),
        )


def _deployment_row(row: sqlite3.Row) -> DeploymentRow:
    return DeploymentRow(
        id=row["id"],
        revision=row["revision"],
        blue_revision=row["blue_revision"],
        status=Status(row["status"]),
        settings=json.loads(row["settings"]),
        created=row["created"],
        ended=row["ended"],
        message=row["message"],
        rollback_of=row["rollback_of"],
        weights=json.loads(row["weights"]) if row["weights"] else None,
    )
