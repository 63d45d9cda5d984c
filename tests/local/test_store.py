from __future__ import annotations

import sqlite3
from pathlib import Path

from bluegreen.engine.events import Event, EventKind
from bluegreen.local.store import MIGRATIONS, Store
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
    assert store.taskdef("web:2") == v2
    assert store.taskdef("web:9") is None


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
