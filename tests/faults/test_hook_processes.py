"""A hook's whole tree ends with it: a `setsid` grandchild and a double-forked one at
its timeout, and a hook running when the daemon is killed at the next `up`."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from pathlib import Path

import pytest

from bluegreen.shell import run_shell
from bluegreen.state_dir import pid_alive

from ..local.harness import make_project

ESCAPING = (
    "setsid sh -c 'echo $$ > {dir}/session; exec sleep 300' & "
    "(sleep 300 & echo $! > {dir}/orphan) & "
    "echo $$ > {dir}/shell; sleep 300"
)


def _pid_in(path: Path, timeout: float = 30.0) -> int:
    deadline = time.monotonic() + timeout
    while not (path.exists() and path.read_text().strip()):
        assert time.monotonic() < deadline, f"{path} not written"
        time.sleep(0.05)
    return int(path.read_text())


def _gone(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not pid_alive(pid)


def test_a_timed_out_command_takes_its_setsid_and_orphaned_children_along(
    tmp_path: Path,
) -> None:
    command = ESCAPING.format(dir=tmp_path)
    result = asyncio.run(run_shell(command, cwd=tmp_path, env={}, timeout=1.0))
    assert not result.ok and result.detail == "timed out after 1s"
    for name in ("shell", "session", "orphan"):
        assert _gone(_pid_in(tmp_path / name)), f"the {name} process survived"


def test_a_record_is_kept_while_the_command_runs_and_removed_after(tmp_path: Path) -> None:
    records = tmp_path / "hooks"

    async def run() -> list[str]:
        running = asyncio.create_task(
            run_shell("sleep 300", cwd=tmp_path, env={}, timeout=1.0, record=records)
        )
        while not records.is_dir() or not list(records.iterdir()):
            await asyncio.sleep(0.01)
        seen = [p.read_text() for p in records.iterdir()]
        await running
        return seen

    assert len(asyncio.run(run())) == 1
    assert list(records.iterdir()) == []


@pytest.fixture(autouse=True)
def _version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_VERSION", "v1")


def test_a_hook_running_when_the_daemon_is_killed_does_not_survive_the_next_up(
    tmp_path: Path,
) -> None:
    gate = tmp_path / "gate"
    gate.mkdir()
    hook = f"if [ -e {gate}/block ]; then {ESCAPING.format(dir=gate)}; fi"
    project = make_project(tmp_path / "p", extra=f'\n[hooks]\nBeforeInstall = "{hook}"\n')
    project.cli("up")
    try:
        project.deploy_first()
        (gate / "block").touch()
        os.environ["APP_VERSION"] = "v2"
        project.cli("deploy", "--no-wait")
        pids = {name: _pid_in(gate / name) for name in ("shell", "session", "orphan")}
        daemon = int(json.loads((project.dir / ".bluegreen" / "daemon.json").read_text())["pid"])
        os.kill(daemon, signal.SIGKILL)
        assert _gone(daemon)
        assert all(pid_alive(pid) for pid in pids.values()), "the hook died with the daemon"
        assert "started" in project.cli("up").stdout
        survivors = [name for name, pid in pids.items() if not _gone(pid)]
        assert survivors == [], f"survived the next up: {survivors}"
        assert project.version() == "v1"
    finally:
        project.cli("down")
