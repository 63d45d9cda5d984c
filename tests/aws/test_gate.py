"""The test-listener gate against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Generator
from pathlib import Path

from bluegreen.aws.gate import Gate
from bluegreen.engine.events import Event, EventKind

from .conftest import Listener, write_project


def gate_for(tmp_path: Path, url: str | None, validation: str = "", name: str = "app") -> Gate:
    root = tmp_path / name
    root.mkdir()
    gate = Gate.from_config(write_project(root, url, validation).config, root)
    assert gate is not None
    return gate


def verdict(run: Generator[Event, None, bool]) -> tuple[bool, list[Event]]:
    events = []
    while True:
        try:
            events.append(next(run))
        except StopIteration as end:
            return bool(end.value), events


def test_needs_consecutive_healthy_answers(listener: Listener, tmp_path: Path) -> None:
    passed, events = verdict(gate_for(tmp_path, listener.url).run("d-1"))
    assert passed
    assert listener.requests == 3
    assert all(e.kind is EventKind.VALIDATION for e in events)


def test_unhealthy_until_deadline_fails(listener: Listener, tmp_path: Path) -> None:
    listener.status = 404
    passed, events = verdict(gate_for(tmp_path, listener.url).run("d-1"))
    assert not passed
    assert events[-1].details["result"] == "failed"
    assert listener.requests > 3


def test_nothing_listening_fails(tmp_path: Path) -> None:
    passed, events = verdict(gate_for(tmp_path, "http://127.0.0.1:9").run("d-1"))
    assert not passed
    assert "no answer" in events[0].message


def test_command_sees_test_url_and_decides(listener: Listener, tmp_path: Path) -> None:
    expected = f"os.environ['BLUEGREEN_TEST_URL'] != '{listener.url}'"
    check = f'{sys.executable} -c "import os, sys; sys.exit({expected})"'
    gate = gate_for(tmp_path, listener.url, f"command = '''{check}'''")
    passed, events = verdict(gate.run("d-1"))
    assert passed, [e.message for e in events]
    failing = gate_for(tmp_path, listener.url, "command = 'echo broken; exit 3'", "failing")
    passed, events = verdict(failing.run("d-1"))
    assert not passed
    assert events[-1].details["output"].strip() == "broken"
    assert "exit 3" in events[-1].message


def test_no_listener_no_command_means_no_gate(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    root.mkdir()
    assert Gate.from_config(write_project(root, None).config, root) is None


def test_command_timeout_ends_its_process_group(listener: Listener, tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    command = f"sleep 120 & echo $! > {pid_file}; wait"
    gate = gate_for(tmp_path, None, f"command = '{command}'")
    started = time.monotonic()
    passed, events = verdict(gate.run("d-1"))
    assert time.monotonic() - started < 60  # the 1 s deadline, not the child's 120 s
    assert not passed
    assert "timed out" in events[-1].message
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/stat")
    return not (status.exists() and status.read_text().split()[2] == "Z")
