"""Secrets stay the owner's: every file under `.bluegreen/` after a real deployment is
0600 (directories 0700) even under a 0022 umask, a wider existing directory is
tightened at `up`, and no message of `validate`, `render` or `deploy` quotes an
environment value."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from .harness import Project, make_project

SECRET = "s3cr3t-planted-value-7f1e"
MISTYPED = 918273645  # a PIN typed as a number: ECS wants a string


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The umask most machines have, so a file that relies on it shows 0644."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _add_environment(project: Project, *entries: object) -> None:
    path = project.dir / "taskdef.json"
    taskdef = json.loads(path.read_text())
    taskdef["containerDefinitions"][0]["environment"].extend(entries)
    path.write_text(json.dumps(taskdef))


def _shared(root: Path) -> list[str]:
    """Every file or directory under `root` (itself included) with a group/other bit."""
    paths = [root, *root.rglob("*")]
    return [
        f"{path} {stat.filemode(path.lstat().st_mode)}"
        for path in paths
        if not path.is_symlink() and path.lstat().st_mode & 0o077
    ]


def test_everything_under_the_state_dir_is_the_owners_after_a_deployment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECRET", SECRET)
    project = make_project(tmp_path / "modes")
    _add_environment(project, {"name": "DB_PASSWORD", "value": "${SECRET}"})
    state = project.dir / ".bluegreen"
    state.mkdir(mode=0o755)
    old = state / "pushed-image"
    old.write_text("registry/web:old\n")
    old.chmod(0o644)
    project.cli("up")
    try:
        project.deploy_first()
        holding = [p.name for p in state.rglob("*") if p.is_file() and SECRET in _text(p)]
        assert any(name.startswith("state.db") for name in holding), holding
        assert _shared(state) == []
    finally:
        project.cli("down")
    assert _shared(state) == []


def _text(path: Path) -> str:
    return path.read_bytes().decode(errors="replace")


def test_no_message_quotes_an_environment_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECRET", SECRET)
    project = make_project(tmp_path / "masked")
    _add_environment(
        project,
        {"name": "DB_PASSWORD", "value": "${SECRET}"},
        {"name": "PIN", "value": MISTYPED},
        "${SECRET}",  # an entry that is not an object at all
    )
    for command in ("validate", "render", "deploy"):
        result = project.cli(command, check=False)
        said = result.stdout + result.stderr
        assert result.returncode == 2, said
        assert "environment[4].value: expected a string" in said, said
        assert "environment[5]: expected an object" in said, said
        assert str(MISTYPED) not in said and SECRET not in said and "${SECRET}" not in said
