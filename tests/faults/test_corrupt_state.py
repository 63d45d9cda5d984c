"""A `state.db` bluegreen cannot use, one case at a time: `up`, `status` and `history`
exit 2 with one line naming the file and `--reset-state`; `up --reset-state` moves it
aside and starts afresh. A `.bluegreen` that is a file, or immutable, is one line too."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from bluegreen.local.store import Store

from ..local.harness import Project, make_project


def _stored(path: Path) -> None:
    """A real state.db of several pages (so that half of it is a truncated one)."""
    store = Store(path)
    for number in range(100):
        store.register_revision({"family": "web", "padding": f"{number}" * 400})
    store.close()


def _garbage(path: Path) -> None:
    path.write_bytes(os.urandom(8192))


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _truncated(path: Path) -> None:
    _stored(path)
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])


def _sql(statement: str) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        _stored(path)
        with sqlite3.connect(path) as db:
            db.execute(statement)
        db.close()

    return make


CASES = {
    "garbage": (_garbage, "file is not a database"),
    "empty": (_empty, "the file is empty"),
    "truncated": (_truncated, "malformed"),
    "future schema": (_sql("PRAGMA user_version = 99"), "schema version 99 is newer"),
    "no events table": (_sql("DROP TABLE events"), "has no events table"),
}


def _one_line(result: subprocess.CompletedProcess[str], *said: str) -> None:
    assert result.returncode == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and all(s in lines[0] for s in said), result.stderr


@pytest.mark.parametrize("case", CASES)
def test_a_corrupt_state_db_is_named_and_reset_state_moves_it_aside(
    case: str, tmp_path: Path
) -> None:
    make, why = CASES[case]
    project = make_project(tmp_path / "p")
    state_db = project.dir / ".bluegreen" / "state.db"
    state_db.parent.mkdir(mode=0o700)
    make(state_db)
    for command in ("up", "status", "history"):
        _one_line(project.cli(command, check=False), str(state_db), why, "--reset-state")
    assert "moved the old state aside" in project.cli("up", "--reset-state").stdout
    try:
        assert len(list(state_db.parent.glob("state.db.corrupt-*"))) == 1
        _one_line(project.cli("up", "--reset-state", check=False), "daemon is running")
        project.deploy_first()
        assert project.version() == "v1"
    finally:
        project.cli("down")


@pytest.mark.parametrize(
    "command",
    ["up", "status", "down", "deploy", "history", "logs", "rollback", "continue", "stop", "plan"],
)
def test_a_state_directory_that_is_a_file_is_one_line(command: str, tmp_path: Path) -> None:
    """Every command that reads `.bluegreen` names it, not "not running" or a traceback."""
    project = make_project(tmp_path / "p")
    (project.dir / ".bluegreen").write_text("not a directory")
    _one_line(project.cli(command, check=False), ".bluegreen", "is not a directory")
    assert (project.dir / ".bluegreen").read_text() == "not a directory"  # changes nothing


def test_an_immutable_state_directory_is_one_line(tmp_path: Path) -> None:
    project: Project = make_project(tmp_path / "p")
    state = project.dir / ".bluegreen"
    state.mkdir(mode=0o700)
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(state)]).returncode:
        pytest.skip("chattr +i is not available here (root on a filesystem that has it)")
    try:
        _one_line(project.cli("up", check=False), ".bluegreen", "cannot be written")
    finally:
        subprocess.run(["chattr", "-i", str(state)], check=True)
