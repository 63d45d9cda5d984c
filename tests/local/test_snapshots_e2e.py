"""A revision holds its code under the process driver: rollbacks and the restore
after a crash run the files it was deployed with, not today's working tree.

The project's own `app.py` sets what `/` answers and runs the test app; the
tests edit it between deploys, as a developer edits their code.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from .harness import APP, LoadGenerator, Project

APP_PY = """\
import os, runpy, sys
os.environ["APP_VERSION"] = "{answer}"
runpy.run_path(sys.argv[1], run_name="__main__")
"""


def write_app(project: Project, answer: str) -> None:
    (project.dir / "app.py").write_text(APP_PY.format(answer=answer))


def start_app(start_platform: Callable[..., Project], extra: str = "") -> Project:
    """A project whose command runs `app.py` from the task's working directory."""
    command = f"{sys.executable} app.py {APP}"
    project = start_platform(canary="200ms", command=command, extra=extra)
    write_app(project, "one")
    return project


def deployed_revision(project: Project, *args: str) -> str:
    project.cli(*args)
    summary = project.status()
    assert summary["status"] == "Succeeded", summary
    return str(summary["revision"])


def test_rollback_runs_the_code_of_the_revision_it_returns_to(
    start_platform: Callable[..., Project],
) -> None:
    project = start_app(start_platform)
    assert deployed_revision(project, "deploy") == "web:1"
    assert project.version() == "one"
    assert deployed_revision(project, "deploy") == "web:1"  # unchanged: the same revision
    write_app(project, "two")
    assert deployed_revision(project, "deploy") == "web:2"
    assert project.version() == "two"
    with LoadGenerator(project.prod_url) as load:
        assert deployed_revision(project, "rollback") == "web:1"
    load.assert_no_failures()
    assert project.version() == "one"
    assert deployed_revision(project, "rollback", "--to", "web:2") == "web:2"
    assert project.version() == "two"


def test_the_stable_revision_restored_after_a_crash_runs_its_own_snapshot(
    start_platform: Callable[..., Project],
) -> None:
    project = start_app(start_platform)
    assert deployed_revision(project, "deploy") == "web:1"
    write_app(project, "two")  # edited, not deployed
    project.crash_and_up()
    assert project.versions_served() == {"one"}


def test_snapshots_beyond_keep_snapshots_are_pruned_and_their_rollback_refused(
    start_platform: Callable[..., Project],
) -> None:
    project = start_app(start_platform, extra="keep_snapshots = 1")
    snapshots = project.dir / ".bluegreen" / "snapshots"
    deployed_revision(project, "deploy")
    write_app(project, "two")
    deployed_revision(project, "deploy")
    deadline = time.monotonic() + 30
    while len([p for p in snapshots.iterdir() if p.is_dir()]) > 1:
        assert time.monotonic() < deadline, list(snapshots.iterdir())
        time.sleep(0.05)
    refused = project.cli("rollback", check=False)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "keep_snapshots" in refused.stderr
    assert project.status()["revision"] == "web:2"
    assert project.version() == "two"


def test_image_under_the_process_driver_without_an_engine_exits_2_and_changes_nothing(
    start_platform: Callable[..., Project], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With an engine the image runs under the Docker driver (tests/docker)."""
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path / 'no-engine.sock'}")
    project = start_app(start_platform)
    deployed_revision(project, "deploy")
    before = project.status()
    refused = project.cli("deploy", "--image", "registry.example/web:2", check=False)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert '--image registry.example/web:2: local.driver is "process"' in refused.stderr
    assert "no Docker engine answers" in refused.stderr
    assert project.status() == before
    assert project.version() == "one"
