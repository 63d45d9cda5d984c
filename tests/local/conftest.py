"""Shared fixtures: every test runs under a unique environment marker that its
children inherit (daemon, tasks, hooks); afterwards any process still carrying
it is killed and the test fails, so nothing is ever left behind."""

from __future__ import annotations

import contextlib
import os
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .harness import Project, make_project

MARK = "BLUEGREEN_TEST_MARK"


def processes_marked(mark: str) -> list[int]:
    needle = f"{MARK}={mark}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z" and needle in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


@pytest.fixture(autouse=True)
def no_process_left_behind(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    mark = uuid.uuid4().hex
    monkeypatch.setenv(MARK, mark)
    yield mark
    deadline = time.monotonic() + 3  # a SIGKILLed process takes a moment to go
    while (leftovers := processes_marked(mark)) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in leftovers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    assert not leftovers, f"processes left behind: {leftovers}"


@pytest.fixture
def start_platform(tmp_path: Path) -> Iterator[Callable[..., Project]]:
    """Make a project (keywords as `make_project`), run `up` for it; `down` afterwards."""
    started: list[Project] = []

    def start(**options: str) -> Project:
        project = make_project(tmp_path / f"project{len(started)}", **options)
        started.append(project)
        project.cli("up")
        return project

    yield start
    for project in started:
        project.cli("down", check=False)
