"""`history`, `status` and `logs` through the real CLI and daemon: what history says
of each deployment (and who started it), reading state.db while the daemon is down,
and task logs merged in time order, followed across revisions, dead tasks marked."""

from __future__ import annotations

import getpass
import queue
import re
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bluegreen.local.local_platform import started_by

from .harness import Project, events, make_project

CI_VARIABLES = ("CI_COMMIT_SHA", "CI_PIPELINE_ID", "GITHUB_SHA", "GITHUB_RUN_ID")
SHA = "0123456789abcdef0123456789abcdef01234567"
LOG_LINE = re.compile(r"^(\d\d):(\d\d):(\d\d)\.(\d{3}) (\S+) \| (.*)$")


@pytest.fixture
def no_ci(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in CI_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_who_started_it_is_the_ci_commit_and_pipeline_when_there_are_some() -> None:
    gitlab = {"CI_COMMIT_SHA": SHA, "CI_PIPELINE_ID": "42"}
    assert started_by(gitlab) == f"commit {SHA} pipeline 42"
    assert started_by({"GITHUB_SHA": SHA, "GITHUB_RUN_ID": "7"}) == f"commit {SHA} pipeline 7"
    assert started_by({}) == f"{getpass.getuser()}@{socket.gethostname()}"


def test_history_says_when_which_revisions_and_who(
    start_platform: Callable[..., Project], no_ci: pytest.MonkeyPatch
) -> None:
    project = start_platform(canary="200ms")
    no_ci.setenv("CI_COMMIT_SHA", SHA)
    no_ci.setenv("CI_PIPELINE_ID", "4242")
    project.cli("deploy")
    for name in CI_VARIABLES:
        no_ci.delenv(name, raising=False)
    project.cli("deploy", "--set", "APP_VERSION=v2")
    project.cli("rollback")

    rollback, second, first = events(project.cli("history", "--output", "json").stdout)
    me = f"{getpass.getuser()}@{socket.gethostname()}"
    assert first["started_by"] == f"commit {SHA} pipeline 4242"
    assert second["started_by"] == me and rollback["started_by"] == me
    assert (first["blue_revision"], first["green_revision"]) == (None, "web:1")
    assert (second["blue_revision"], second["green_revision"]) == ("web:1", "web:2")
    assert (rollback["blue_revision"], rollback["green_revision"]) == ("web:2", "web:1")
    for row in (first, second, rollback):
        assert row["status"] == "Succeeded"
        assert row["started"] <= row["ended"]
        assert row["duration"] == round(row["ended"] - row["started"], 3)
    assert first["ended"] <= second["started"] and second["ended"] <= rollback["started"]

    table = project.cli("history").stdout
    assert "web:1 → web:2" in table and "web:2 → web:1" in table and "→ web:1" in table
    assert f"commit {SHA} pipeline 4242" in table and me in table
    for header in ("started", "ended", "took", "by"):
        assert header in table.splitlines()[0]


def test_status_and_history_read_state_db_while_the_daemon_is_down(
    start_platform: Callable[..., Project],
) -> None:
    project = start_platform(canary="200ms")
    project.cli("deploy")
    project.cli("down")
    state = project.dir / ".bluegreen"
    before = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in state.glob("state.db*")}

    status = project.cli("status")
    assert "Succeeded" in status.stdout and "→ web:1" in status.stdout
    assert "daemon is down" in status.stderr and "as of its last write" in status.stderr
    (row,) = events(project.cli("history", "--output", "json").stdout)
    assert row["status"] == "Succeeded" and row["green_revision"] == "web:1"
    assert row["details"]["daemon"] == "down" and row["details"]["as_of"] > 0

    after = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in state.glob("state.db*")}
    assert after == before  # read, never written, migrated or given a -wal


def test_status_without_any_state_db_still_says_to_start_the_platform(tmp_path: Path) -> None:
    project = make_project(tmp_path / "idle")
    result = project.cli("status", check=False)
    assert result.returncode == 4 and "bluegreen up" in result.stderr
    assert not (project.dir / ".bluegreen").exists()


def parsed(stdout: str) -> list[tuple[float, str, str]]:
    """(seconds of the day, task, text) of each `logs` line."""
    lines = []
    for line in stdout.splitlines():
        match = LOG_LINE.match(line)
        assert match, f"not a log line: {line!r}"
        hours, minutes, seconds, millis, task, text = match.groups()
        moment = int(hours) * 3600 + int(minutes) * 60 + int(seconds) + int(millis) / 1000
        lines.append((moment, task, text))
    return lines


def test_logs_come_in_time_order_and_mark_the_dead_tasks_of_a_failed_attempt(
    start_platform: Callable[..., Project],
) -> None:
    project = start_platform(canary="200ms")
    project.cli("deploy")
    failed = project.cli(
        "deploy", "--set", "APP_MODE=crash", "--set", "APP_VERSION=v2", check=False
    )
    assert failed.returncode == 1

    lines = parsed(project.cli("logs").stdout)  # the newest revision's: web:2
    assert [moment for moment, _, _ in lines] == sorted(moment for moment, _, _ in lines)
    tasks = {task for _, task, _ in lines}
    assert len(tasks) >= 3 and all(task.startswith("web-2-") for task in tasks)
    for task in tasks:
        own = [text for _, name, text in lines if name == task]
        assert own[-1].startswith(f"[bluegreen] task {task} "), own
    exits = [text for _, _, text in lines if text.endswith(" exited 3")]
    assert len(exits) >= 3, exits

    served = parsed(project.cli("logs", "--revision", "web:1").stdout)
    assert len([t for _, _, t in served if t.startswith("serving v1 on")]) == 2


def test_logs_follow_picks_up_a_new_deployments_tasks(
    start_platform: Callable[..., Project],
) -> None:
    project = start_platform(canary="200ms")
    project.cli("deploy")
    follower = project.start_cli("logs", "--follow")
    seen: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [seen.put(line) for line in follower.stdout or []])
    reader.start()
    try:
        wait_for_line(seen, "serving v1 on")
        project.cli("deploy", "--set", "APP_VERSION=v2")
        wait_for_line(seen, "serving v2 on")
        wait_for_line(seen, "stopped (exit code")  # blue's tasks, ended by the deployment
    finally:
        follower.kill()
        follower.wait()
        reader.join(10)


def wait_for_line(seen: queue.Queue[str], words: str, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = seen.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            break
        if words in line:
            return line
    raise AssertionError(f"no line with {words!r} within {timeout:g}s")
