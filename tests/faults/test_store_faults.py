"""A full disk at each store write of a deployment: it ends Failed with production back
on blue, the user is told why in one line (the file and the OS error), `down` leaves
nothing running, and the next deploy works once space is freed. Real CLI, real daemon,
a real full filesystem (`disk.py`)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..local.harness import Project, make_project
from .disk import TinyDisk, tiny_disk_for

NO_SPACE = "No space left on device"
HOOK_EVENTS = (
    "BeforeInstall",
    "AfterInstall",
    "AfterAllowTestTraffic",
    "BeforeAllowTraffic",
    "AfterAllowTraffic",
)


@pytest.fixture(autouse=True)
def _version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_VERSION", "v1")


def _wait(condition: object, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"not within {timeout:g}s: {what}"
        time.sleep(0.05)


def _up(project: Project, disk_root: Path) -> Iterator[tuple[Project, TinyDisk]]:
    with tiny_disk_for(project.dir, disk_root) as disk:
        project.cli("up")
        try:
            project.deploy_first()
            yield project, disk
        finally:
            down = project.cli("down", check=False)
        assert down.returncode == 0, down.stderr  # no task process outlived the daemon


def _said_once(stderr: str) -> None:
    """One line, naming the file and the OS's words, and no traceback."""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert ".bluegreen/state.db" in lines[0] and NO_SPACE in lines[0], stderr


def _next_deploy_works(project: Project, disk: TinyDisk) -> None:
    disk.free()
    os.environ["APP_VERSION"] = "v3"
    project.cli("deploy")
    assert project.version() == "v3"


@pytest.fixture
def plain(tmp_path: Path) -> Iterator[tuple[Project, TinyDisk]]:
    yield from _up(make_project(tmp_path / "p", canary="2s"), tmp_path / "disk")


def test_a_full_disk_before_a_deploy_is_one_line_and_changes_nothing(
    plain: tuple[Project, TinyDisk],
) -> None:
    project, disk = plain
    before = project.status()["deployment_id"]
    disk.fill()
    os.environ["APP_VERSION"] = "v2"  # a new revision: registering it is the first write
    refused = project.cli("deploy", check=False)
    assert refused.returncode == 4, refused
    _said_once(refused.stderr)
    assert project.version() == "v1"
    assert project.status()["deployment_id"] == before
    _next_deploy_works(project, disk)


def test_a_full_disk_when_the_deployment_is_created_is_one_line(
    plain: tuple[Project, TinyDisk],
) -> None:
    project, disk = plain
    disk.fill()  # v1 again: its revision exists, creating the deployment is the first write
    refused = project.cli("deploy", check=False)
    assert refused.returncode == 4, refused
    _said_once(refused.stderr)
    assert project.version() == "v1"
    _next_deploy_works(project, disk)


def test_a_full_disk_mid_shift_rolls_back_to_blue(plain: tuple[Project, TinyDisk]) -> None:
    project, disk = plain
    first = project.status()["deployment_id"]
    os.environ["APP_VERSION"] = "v2"
    deploy = project.start_cli("deploy")
    project.wait_for(
        lambda s: s["deployment_id"] != first and bool(s["weights"]) and s["weights"]["green"] > 0
    )
    disk.fill()  # the shift's next step is the next write
    _ends_failed_on_blue(project, deploy, disk)


@pytest.fixture(params=HOOK_EVENTS)
def hooked(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Project, TinyDisk]]:
    """A hook at the event that says it runs (`ran`) and waits for `go` to exist."""
    gate = tmp_path / "gate"
    gate.mkdir()
    hook = f"touch {gate}/ran; while [ ! -e {gate}/go ]; do sleep 0.05; done"
    extra = f"\n[hooks]\n{request.param} = '{hook}'\n"
    (gate / "go").touch()  # the first deployment passes straight through
    project = make_project(tmp_path / "p", extra=extra)
    yield from _up(project, tmp_path / "disk")


def test_a_full_disk_at_each_hook_rolls_back_to_blue(hooked: tuple[Project, TinyDisk]) -> None:
    project, disk = hooked
    gate = project.dir.parent / "gate"
    (gate / "go").unlink()
    (gate / "ran").unlink()
    os.environ["APP_VERSION"] = "v2"
    deploy = project.start_cli("deploy")
    _wait(lambda: (gate / "ran").exists(), "the hook runs")
    disk.fill()
    (gate / "go").touch()  # the hook's end is the next input, written before it is handled
    _ends_failed_on_blue(project, deploy, disk)


def _ends_failed_on_blue(project: Project, deploy: object, disk: TinyDisk) -> None:
    out, err = deploy.communicate(timeout=120)  # type: ignore[attr-defined]
    assert deploy.returncode == 1, (out, err)  # type: ignore[attr-defined]
    _said_once(err)
    assert "production traffic is back on blue" in err
    assert project.version() == "v1"
    failed = project.status()
    assert failed["status"] == "Failed" and NO_SPACE in failed["message"], failed
    assert failed["weights"] == {"blue": 100, "green": 0}, failed
    _next_deploy_works(project, disk)
    history = project.cli("history").stdout
    assert failed["deployment_id"] in history and NO_SPACE in history, history
