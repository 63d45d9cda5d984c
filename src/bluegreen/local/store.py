"""The local platform's memory: one SQLite file (WAL) in `.bluegreen/state.db`.

It holds what must outlive the daemon: registered revisions (the rendered
task definition and, under the process driver, the digest of the snapshot
of the app's files it runs, or under the Docker driver the ids of its
images, all immutable once stored), deployments with every engine
input they received (written *before* the input is handled, so replaying
them rebuilds the deployment) and their event log, and the stable revision
that a restarted daemon serves again. The schema is versioned with
`PRAGMA user_version`; each migration is one script, applied once, in order.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..engine.events import Event, Weights
from ..platform import DeploymentSummary
from ..state_dir import PRIVATE_FILE, make_private_dir
from ..tasks.image_pins import pins_from_json, short_form
from ..vocabulary import Status
from .store_faults import DISK_TROUBLE, CorruptState, StoreFailed

STATE_DB = "state.db"
TABLES = frozenset({"revisions", "deployments", "inputs", "events", "state"})

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
    # Who or what started a deployment (user@host, or the CI commit and pipeline),
    # and whether it ended by moving traffic back to blue, which `rollback`
    # reads to know which revisions were rolled away from. Rows from before
    # take the second from their terminal status event.
    """
    ALTER TABLE deployments ADD COLUMN started_by TEXT NOT NULL DEFAULT '';
    ALTER TABLE deployments ADD COLUMN rolled_back INTEGER NOT NULL DEFAULT 0;
    UPDATE deployments SET rolled_back = 1 WHERE EXISTS (
        SELECT 1 FROM events WHERE events.deployment_id = deployments.id
        AND json_extract(events.payload, '$.details.rolled_back') = 1);
    """,
    # What the revision runs beside its definition (local/applied_settings.py), as JSON.
    "ALTER TABLE revisions ADD COLUMN settings TEXT;",
    # Its images pinned to their ids (tasks/image_pins.py), as JSON; NULL: not pinned
    # (a snapshot, or a revision of images registered before they were).
    "ALTER TABLE revisions ADD COLUMN images TEXT;",
)


@dataclass(frozen=True)
class RevisionRow:
    id: str
    taskdef: dict[str, Any]
    snapshot: str | None
    """The digest of the app's files this revision runs; None when its image holds them."""
    settings: dict[str, Any] | None
    """Its command, health check, hooks (applied_settings); None: registered before they were."""
    images: list[dict[str, Any]] | None = None
    """Its containers' images pinned to their ids (`image_pins`); None: not pinned."""


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
    started_by: str = ""
    rolled_back: bool = False
    """It ended with production back on blue and green terminated (stop, alarm, failure)."""
    image: str | None = None
    blue_image: str | None = None
    """The short image ids its revisions run, when they are pinned (the Docker driver)."""

    def summary(self, **details: Any) -> DeploymentSummary:
        """The row as every platform reports a deployment; `details` add to its own."""
        return DeploymentSummary(
            deployment_id=self.id,
            status=self.status,
            revision=self.revision,
            platform="local",
            created=self.created,
            ended=self.ended,
            weights=Weights(**self.weights) if self.weights else None,
            message=self.message,
            rollback_of=self.rollback_of,
            details={
                "blue_revision": self.blue_revision,
                "started_by": self.started_by,
                **({"green_image": self.image} if self.image else {}),
                **({"blue_image": self.blue_image} if self.blue_image else {}),
                **details,
            },
        )


class Store:
    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.path = path
        if read_only:
            self._open_read_only(path)
            return
        make_private_dir(path.parent)
        if path.is_file() and path.stat().st_size == 0:
            raise CorruptState(path, "the file is empty")
        # SQLite gives -wal and -shm the database file's mode, so a file created
        # 0600 here keeps the task definitions they hold (secrets too) private.
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE))
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        with self._corrupt_as_such():
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
            self._check()
        self._deployments = _deployments_select(self.db)

    def _open_read_only(self, path: Path) -> None:
        """The file as the daemon last wrote it, for `status` and `history` while the
        daemon is down: never created, migrated or written (an older schema is read
        as it is), so reading it cannot change what the next daemon finds."""
        if not path.is_file():
            raise FileNotFoundError(path)
        # A daemon that was stopped left everything in the file; `immutable` then reads
        # it without creating the -wal and -shm files. One that crashed left writes
        # in its -wal, which only a (read-only) WAL reader sees.
        wal = path.with_name(f"{path.name}-wal")
        fresh = wal.is_file() and wal.stat().st_size > 0
        uri = f"{path.resolve().as_uri()}?mode=ro" + ("" if fresh else "&immutable=1")
        if path.stat().st_size == 0:
            raise CorruptState(path, "the file is empty")
        self.db = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        with self._corrupt_as_such():
            self._schema_version()
            self._check()
        self._deployments = _deployments_select(self.db)

    @contextlib.contextmanager
    def _corrupt_as_such(self) -> Iterator[None]:
        """SQLite's "not a database" and "malformed" said as `CorruptState`; a full or
        read-only disk is not corruption, and stays `StoreFailed`."""
        try:
            yield
        except sqlite3.DatabaseError as exc:
            self.db.close()
            name = getattr(exc, "sqlite_errorname", "")
            if name.removeprefix("SQLITE_").split("_")[0] in DISK_TROUBLE:
                raise StoreFailed(self.path, exc) from None
            raise CorruptState(self.path, str(exc)) from None
        except CorruptState:
            self.db.close()
            raise

    def _schema_version(self) -> int:
        version = int(self.db.execute("PRAGMA user_version").fetchone()[0])
        if version > len(MIGRATIONS):
            raise CorruptState(
                self.path,
                f"its schema version {version} is newer than this bluegreen's "
                f"({len(MIGRATIONS)}): upgrade bluegreen to read it",
            )
        return version

    def _check(self) -> None:
        """Every table there, every page readable (a truncated file fails here)."""
        found = {
            str(row[0])
            for row in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        if missing := sorted(TABLES - found):
            raise CorruptState(self.path, f"it has no {', '.join(missing)} table")
        verdict = [str(row[0]) for row in self.db.execute("PRAGMA quick_check(3)")]
        if verdict != ["ok"]:
            raise CorruptState(self.path, f"it is damaged ({'; '.join(verdict)})")

    def _migrate(self) -> None:
        version = self._schema_version()
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            self.db.executescript(f"BEGIN; {script}; PRAGMA user_version = {number}; COMMIT;")

    def close(self) -> None:
        self.db.close()

    # revisions
    def register_revision(
        self,
        taskdef: dict[str, Any],
        snapshot: str | None = None,
        settings: dict[str, Any] | None = None,
        images: list[dict[str, Any]] | None = None,
    ) -> str:
        """`family:N`; the same definition, snapshot, settings and image ids registered
        before keep their revision (an unchanged redeploy), and a change of any makes
        a new one: a tag rebuilt with other code is a new revision."""
        family = str(taskdef.get("family") or "task")
        content = json.dumps(taskdef, sort_keys=True)
        recorded = json.dumps(settings, sort_keys=True) if settings is not None else None
        same = self.db.execute(
            "SELECT id, images FROM revisions WHERE family = ? AND taskdef = ?"
            " AND snapshot IS ? AND settings IS ?",
            (family, content, snapshot, recorded),
        ).fetchall()
        for row in same:
            if _image_ids(_loaded(row["images"])) == _image_ids(images):
                return str(row["id"])
        newest = self.db.execute(
            "SELECT MAX(number) FROM revisions WHERE family = ?", (family,)
        ).fetchone()[0]
        revision = f"{family}:{(newest or 0) + 1}"
        self.db.execute(
            "INSERT INTO revisions (id, family, number, taskdef, created, snapshot, settings,"
            " images) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                revision, family, (newest or 0) + 1, content, time.time(), snapshot, recorded,
                json.dumps(images) if images is not None else None,
            ),
        )  # fmt: skip
        return revision

    def revision(self, revision: str) -> RevisionRow | None:
        row = self.db.execute(
            "SELECT id, taskdef, snapshot, settings, images FROM revisions WHERE id = ?",
            (revision,),
        ).fetchone()
        if row is None:
            return None
        return RevisionRow(
            row["id"],
            json.loads(row["taskdef"]),
            row["snapshot"],
            _loaded(row["settings"]),
            _loaded(row["images"]),
        )

    def runs_images(self) -> bool:
        """Whether any revision runs pinned images (its tasks may outlive a daemon)."""
        return (
            self.db.execute("SELECT 1 FROM revisions WHERE images IS NOT NULL").fetchone()
            is not None
        )

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
            " rollback_of, started_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                row_id,
                revision,
                blue,
                Status.CREATED.value,
                json.dumps(settings),
                time.time(),
                extra.get("rollback_of"),
                extra.get("started_by", ""),
            ),
        )

    def update_deployment(self, deployment_id: str, **fields: Any) -> None:
        """Set status / ended / message / weights / rolled_back (dicts are stored as JSON)."""
        allowed = {"status", "ended", "message", "weights", "rolled_back"}
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
        row = self.db.execute(f"{self._deployments} WHERE d.id = ?", (deployment_id,))
        found = row.fetchone()
        return _deployment_row(found) if found else None

    def deployments(self, limit: int | None = 20) -> list[DeploymentRow]:
        """Newest first; every one with `limit=None`."""
        rows = self.db.execute(
            f"{self._deployments} ORDER BY d.created DESC, d.rowid DESC LIMIT ?",
            (-1 if limit is None else limit,),
        )
        return [_deployment_row(r) for r in rows]

    def unfinished(self) -> list[DeploymentRow]:
        terminal = tuple(s.value for s in Status if s.terminal)
        rows = self.db.execute(
            f"{self._deployments} WHERE d.status NOT IN (?, ?, ?) ORDER BY d.created", terminal
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


def _deployments_select(db: sqlite3.Connection) -> str:
    """Deployments with the pinned images of their two revisions (of a schema that has
    them: a state.db read without migrating it may be older)."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(revisions)")}
    green, blue = ("g.images", "b.images") if "images" in columns else ("NULL", "NULL")
    return (
        f"SELECT d.*, {green} AS green_images, {blue} AS blue_images FROM deployments d"
        " LEFT JOIN revisions g ON g.id = d.revision"
        " LEFT JOIN revisions b ON b.id = d.blue_revision"
    )


def _loaded(text: str | None) -> Any:
    return json.loads(text) if text is not None else None


def _image_ids(images: list[dict[str, Any]] | None) -> list[str] | None:
    pins = pins_from_json(images)
    return None if pins is None else [pin.image_id for pin in pins]


def _deployment_row(row: sqlite3.Row) -> DeploymentRow:
    """A row of any schema version: a state.db read without migrating it may be older."""
    columns = row.keys()
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
        started_by=row["started_by"] if "started_by" in columns else "",
        rolled_back=bool(row["rolled_back"]) if "rolled_back" in columns else False,
        image=short_form(_loaded(row["green_images"])),
        blue_image=short_form(_loaded(row["blue_images"])),
    )
