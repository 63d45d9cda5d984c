"""Snapshots: same content, same digest; any change, a new one; the copy is
what `docker build` would send."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bluegreen.tasks import snapshot as snapshots
from bluegreen.tasks.snapshot import SnapshotStore


@pytest.fixture
def app(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    (root / "pkg").mkdir(parents=True)
    (root / "app.py").write_text("print('one')\n")
    (root / "pkg" / "data.txt").write_text("data\n")
    (root / "run.sh").write_text("#!/bin/sh\n")
    (root / "run.sh").chmod(0o755)
    (root / ".bluegreen").mkdir()
    (root / ".bluegreen" / "state.db").write_text("live")
    (root / "node_modules").mkdir()
    (root / "node_modules" / "big.js").write_text("x")
    (root / ".dockerignore").write_text("# comment\nnode_modules\n")
    return root


@pytest.fixture
def store(tmp_path: Path) -> SnapshotStore:
    return SnapshotStore(tmp_path / "snapshots")


def test_the_copy_holds_what_docker_build_would_send(app: Path, store: SnapshotStore) -> None:
    taken = store.take(app)
    copied = sorted(str(p.relative_to(taken.path)) for p in taken.path.rglob("*") if p.is_file())
    assert copied == [".dockerignore", "app.py", "pkg/data.txt", "run.sh"]
    assert os.access(taken.path / "run.sh", os.X_OK)
    assert (taken.path / "app.py").read_text() == "print('one')\n"


def test_same_content_same_snapshot_and_an_edit_a_new_one(app: Path, store: SnapshotStore) -> None:
    first = store.take(app)
    assert store.take(app) == first
    (app / "app.py").write_text("print('two')\n")  # same size, same second: the racy case
    second = store.take(app)
    assert second.digest != first.digest
    assert (first.path / "app.py").read_text() == "print('one')\n"
    assert (second.path / "app.py").read_text() == "print('two')\n"


def test_an_ignored_or_state_file_changes_nothing(app: Path, store: SnapshotStore) -> None:
    first = store.take(app)
    (app / "node_modules" / "big.js").write_text("changed")
    (app / ".bluegreen" / "state.db").write_text("changed")
    assert store.take(app) == first


def test_the_executable_bit_and_a_new_file_count(app: Path, store: SnapshotStore) -> None:
    digests = {store.take(app).digest}
    (app / "run.sh").chmod(0o644)
    digests.add(store.take(app).digest)
    (app / "pkg" / "new.txt").write_text("")
    digests.add(store.take(app).digest)
    assert len(digests) == 3


def test_an_unchanged_file_is_not_hashed_again(
    app: Path, store: SnapshotStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(snapshots, "RACY_NS", 0)
    first = store.take(app)
    hashed: list[Path] = []
    real = snapshots.file_sha256
    monkeypatch.setattr(snapshots, "file_sha256", lambda p: hashed.append(p) or real(p))
    (app / "app.py").write_text("print('three')\n")
    assert store.take(app) != first
    assert hashed == [app / "app.py"]


def test_prune_keeps_what_is_asked_and_get_finds_it(app: Path, store: SnapshotStore) -> None:
    old = store.take(app)
    (app / "app.py").write_text("print('new')\n")
    new = store.take(app)
    assert store.prune(keep={new.digest}) == [old.digest]
    assert store.get(old.digest) is None
    assert store.get(new.digest) == new


def test_a_symlink_is_kept_as_a_link(app: Path, store: SnapshotStore) -> None:
    (app / "current").symlink_to("pkg/data.txt")
    taken = store.take(app)
    assert os.readlink(taken.path / "current") == "pkg/data.txt"
