from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
from pathlib import Path

import pytest

from bluegreen.engine.events import Event, EventKind
from bluegreen.local.store import MIGRATIONS, RevisionRow, Store
from bluegreen.local.store_thread import StoreThread
from bluegreen.tasks.image_pins import ImagePin, pins_to_json
from bluegreen.vocabulary import Status


def test_revisions_are_numbered_per_family_and_reused_for_the_same_content(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "state.db")
    v1 = {"family": "web", "containerDefinitions": [{"name": "web", "image": "a"}]}
    v2 = {"family": "web", "containerDefinitions": [{"name": "web", "image": "b"}]}
    assert store.register_revision(v1) == "web:1"
    assert store.register_revision(v2) == "web:2"
    assert store.register_revision(v1) == "web:1"
    assert store.register_revision({"family": "api"}) == "api:1"
    assert store.revision("web:2") == RevisionRow("web:2", v2, None, None)
    assert store.revision("web:9") is None


def test_a_revision_is_its_definition_and_its_snapshot(tmp_path: Path) -> None:
    store = Store(tmp_path / "state.db")
    v1 = {"family": "web", "containerDefinitions": [{"name": "web", "image": "a"}]}
    assert store.register_revision(v1, "aaa") == "web:1"
    assert store.register_revision(v1, "aaa") == "web:1"
    assert store.register_revision(v1, "bbb") == "web:2"
    assert store.register_revision(v1, None) == "web:3"
    assert store.register_revision(v1, "aaa") == "web:1"
    assert store.revision("web:2") == RevisionRow("web:2", v1, "bbb", None)
    assert store.newest_snapshots(1) == {"bbb"}
    assert store.newest_snapshots(5) == {"aaa", "bbb"}


def test_a_revision_is_also_the_settings_it_runs_with(tmp_path: Path) -> None:
    store = Store(tmp_path / "state.db")
    v1 = {"family": "web", "containerDefinitions": [{"name": "web", "image": "a"}]}
    one, two = {"command": "serve one"}, {"command": "serve two"}
    assert store.register_revision(v1, "aaa", one) == "web:1"
    assert store.register_revision(v1, "aaa", two) == "web:2"
    assert store.register_revision(v1, "aaa", one) == "web:1"
    assert store.revision("web:2") == RevisionRow("web:2", v1, "aaa", two)


def test_a_revision_of_images_is_their_ids_not_their_tags(tmp_path: Path) -> None:
    store = Store(tmp_path / "state.db")
    v2 = {"family": "web", "containerDefinitions": [{"name": "web", "image": "web:v2"}]}

    def pins(image_id: str, digest: str | None = None) -> list[dict[str, object]]:
        pin = ImagePin("web", "web:v2", f"sha256:{image_id}", digest)
        return pins_to_json([pin])

    assert store.register_revision(v2, images=pins("1" * 64)) == "web:1"
    assert store.register_revision(v2, images=pins("2" * 64)) == "web:2"  # the tag rebuilt
    assert store.register_revision(v2, images=pins("1" * 64, "r/web@sha256:9")) == "web:1"
    assert store.register_revision(v2) == "web:3"  # not pinned: not the same revision
    assert store.revision("web:2") == RevisionRow("web:2", v2, None, None, pins("2" * 64))
    assert store.runs_images()
    store.create_deployment("d-1", "web:2", "web:1", {})
    row = store.deployment("d-1")
    assert row is not None and (row.image, row.blue_image) == ("2" * 12, "1" * 12)
    details = row.summary().details
    assert (details["green_image"], details["blue_image"]) == ("2" * 12, "1" * 12)


def test_a_state_db_of_the_first_schema_migrates_and_keeps_its_revisions(
    tmp_path: Path,
) -> None:
    db = sqlite3.connect(tmp_path / "state.db")
    db.executescript(f"BEGIN; {MIGRATIONS[0]}; PRAGMA user_version = 1; COMMIT;")
    db.execute("INSERT INTO revisions VALUES ('web:1', 'web', 1, '{\"family\": \"web\"}', 1.0)")
    db.commit()
    db.close()
    store = Store(tmp_path / "state.db")
    assert store.revision("web:1") == RevisionRow("web:1", {"family": "web"}, None, None)
    assert store.register_revision({"family": "web"}, "abc") == "web:2"


def test_deployments_logs_and_state_survive_a_reopen(tmp_path: Path) -> None:
    store = Store(tmp_path / "state.db")
    revision = store.register_revision({"family": "web"})
    store.create_deployment("d-1", revision, None, {"revision": revision})
    store.append_input("d-1", {"type": "Started", "at": 1.0})
    event = Event(2.0, "d-1", EventKind.STATUS, Status.IN_PROGRESS, "deploying")
    assert store.append_event(event) == 1
    store.update_deployment("d-1", status="InProgress", weights={"blue": 0, "green": 100})
    store.stable_revision = revision
    store.close()

    again = Store(tmp_path / "state.db")
    assert again.inputs("d-1") == [{"type": "Started", "at": 1.0}]
    assert list(again.events("d-1")) == [(1, event)]
    assert list(again.events("d-1", after=1)) == []
    row = again.deployment()
    assert row is not None and row.status is Status.IN_PROGRESS
    assert row.weights == {"blue": 0, "green": 100}
    assert [r.id for r in again.unfinished()] == ["d-1"]
    assert again.stable_revision == "web:1"


def test_schema_is_versioned_and_uses_wal(tmp_path: Path) -> None:
    Store(tmp_path / "state.db").close()
    db = sqlite3.connect(tmp_path / "state.db")
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()


def test_the_store_thread_keeps_order_reports_failures_and_never_blocks_the_loop(
    tmp_path: Path,
) -> None:
    failures: list[tuple[str, BaseException]] = []

    async def main() -> None:
        writer = StoreThread(
            Store(tmp_path / "state.db"), lambda what, e: failures.append((what, e))
        )
        writer.start()
        revision = await writer.call(lambda s: s.register_revision({"family": "web"}))
        writer.write("deployment", lambda s: s.create_deployment("d-1", revision, None, {}))
        writer.write("bad update", lambda s: s.update_deployment("d-1", colour="blue"))
        writer.write("status", lambda s: s.update_deployment("d-1", status="InProgress"))
        row = await writer.call(lambda s: s.deployment("d-1"))  # sees every write before it
        assert row is not None and row.status is Status.IN_PROGRESS

        # A job that waits for the loop: it finishes only if the loop keeps running.
        released = threading.Event()
        held = asyncio.ensure_future(writer.call(lambda s: released.wait(5)))
        await asyncio.sleep(0)
        released.set()
        assert await held is True

        written: list[int] = []
        writer.write("event", lambda s: s.append_event(event_of("hello")), written.append)
        await writer.close()  # finishes what was queued first
        assert written == [1]

    asyncio.run(main())
    assert [what for what, _ in failures] == ["bad update"]
    assert "colour" in str(failures[0][1])
    assert list(Store(tmp_path / "state.db").events("d-1")) == [(1, event_of("hello"))]


def event_of(message: str) -> Event:
    return Event(2.0, "d-1", EventKind.MESSAGE, Status.IN_PROGRESS, message)


def schema_of_version(path: Path, version: int) -> sqlite3.Connection:
    """A state.db as an older bluegreen left it: the first `version` migrations."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    for number, script in enumerate(MIGRATIONS[:version], start=1):
        db.executescript(f"BEGIN; {script}; PRAGMA user_version = {number}; COMMIT;")
    db.execute(
        "INSERT INTO revisions (id, family, number, taskdef, created) VALUES"
        " ('web:1', 'web', 1, '{}', 1.0), ('web:2', 'web', 2, '{}', 2.0)"
    )
    for row_id, revision, status in (("d-1", "web:1", "Succeeded"), ("d-2", "web:2", "Stopped")):
        db.execute(
            "INSERT INTO deployments (id, revision, status, settings, created)"
            " VALUES (?, ?, ?, '{}', ?)",
            (row_id, revision, status, float(row_id[-1])),
        )
    stopped = Event(
        3.0, "d-2", EventKind.STATUS, Status.STOPPED, "stopped", details={"rolled_back": True}
    )
    db.execute("INSERT INTO events VALUES ('d-2', 1, ?)", (json.dumps(stopped.to_dict()),))
    db.commit()
    return db


def test_deployments_before_migration_3_learn_whether_they_rolled_back(tmp_path: Path) -> None:
    schema_of_version(tmp_path / "state.db", 2).close()
    store = Store(tmp_path / "state.db")
    rows = {row.id: row for row in store.deployments()}
    assert (rows["d-1"].rolled_back, rows["d-2"].rolled_back) == (False, True)
    assert rows["d-1"].started_by == ""
    store.create_deployment("d-3", "web:1", "web:2", {}, started_by="ann@box")
    store.update_deployment("d-3", rolled_back=True)
    row = store.deployment("d-3")
    assert row is not None and row.started_by == "ann@box" and row.rolled_back


def test_reading_a_state_db_read_only_changes_nothing_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    schema_of_version(path, 2).close()  # closed cleanly: no -wal left
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    reader = Store(path, read_only=True)
    assert [row.id for row in reader.deployments()] == ["d-2", "d-1"]
    assert reader.deployment("d-2") is not None
    with pytest.raises(sqlite3.OperationalError):
        reader.create_deployment("d-3", "web:1", None, {})
    reader.close()
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 2  # not migrated
    db.close()
    with pytest.raises(FileNotFoundError):
        Store(tmp_path / "missing.db", read_only=True)
    assert not (tmp_path / "missing.db").exists()


def test_a_read_only_reader_sees_what_a_crashed_daemon_left_in_the_wal(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    writer = schema_of_version(path, 2)  # still open, as a SIGKILLed daemon leaves it
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    writer.execute("UPDATE deployments SET message = 'last words' WHERE id = 'd-2'")
    writer.commit()
    assert (tmp_path / "state.db-wal").stat().st_size > 0
    reader = Store(path, read_only=True)
    row = reader.deployment("d-2")
    assert row is not None and row.message == "last words"
    reader.close()
    writer.close()
