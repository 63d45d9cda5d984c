from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

from bluegreen.engine.events import Event, EventKind
from bluegreen.local.store import MIGRATIONS, RevisionRow, Store
from bluegreen.local.store_thread import StoreThread
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
    assert store.revision("web:2") == RevisionRow("web:2", v2, None)
    assert store.revision("web:9") is None


def test_a_revision_is_its_definition_and_its_snapshot(tmp_path: Path) -> None:
    store = Store(tmp_path / "state.db")
    v1 = {"family": "web", "containerDefinitions": [{"name": "web", "image": "a"}]}
    assert store.register_revision(v1, "aaa") == "web:1"
    assert store.register_revision(v1, "aaa") == "web:1"
    assert store.register_revision(v1, "bbb") == "web:2"
    assert store.register_revision(v1, None) == "web:3"
    assert store.register_revision(v1, "aaa") == "web:1"
    assert store.revision("web:2") == RevisionRow("web:2", v1, "bbb")
    assert store.newest_snapshots(1) == {"bbb"}
    assert store.newest_snapshots(5) == {"aaa", "bbb"}


def test_a_state_db_of_the_first_schema_migrates_and_keeps_its_revisions(
    tmp_path: Path,
) -> None:
    db = sqlite3.connect(tmp_path / "state.db")
    db.executescript(f"BEGIN; {MIGRATIONS[0]}; PRAGMA user_version = 1; COMMIT;")
    db.execute("INSERT INTO revisions VALUES ('web:1', 'web', 1, '{\"family\": \"web\"}', 1.0)")
    db.commit()
    db.close()
    store = Store(tmp_path / "state.db")
    assert store.revision("web:1") == RevisionRow("web:1", {"family": "web"}, None)
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
