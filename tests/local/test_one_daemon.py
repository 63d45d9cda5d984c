"""One daemon per project: `up`s started together, a second daemon, a killed one, and a
`down` that finds a task process left behind. Real CLI processes, real daemons."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bluegreen.state_dir import StateDir, pid_alive

from .harness import Project, make_project

UPS = 4


def _info_pid(project: Project) -> int:
    info = StateDir.of(project.dir).read_info()
    assert info is not None, "no daemon.json"
    return info.pid


def _daemons_of(project: Project) -> list[int]:
    """Every live daemon process serving `project`, from their command lines."""
    wanted = ["-m", "bluegreen.local.daemon", str(project.dir.resolve())]
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().decode().split("\0")
        except OSError:
            continue
        if argv[1:4] == wanted and pid_alive(int(entry.name)):
            found.append(int(entry.name))
    return found


def _wait_gone(pid: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not pid_alive(pid), f"pid {pid} still alive"


def test_ups_started_together_leave_one_daemon_that_every_command_reaches(
    tmp_path: Path,
) -> None:
    project = make_project(tmp_path / "race")
    ups = [project.start_cli("up") for _ in range(UPS)]
    results = [(up.wait(timeout=120), *up.communicate()) for up in ups]
    try:
        assert [code for code, _, _ in results] == [0] * UPS, results
        said = sorted("started" if " started " in out else out for _, out, _ in results)
        assert said.count("started") == 1, said
        assert all("already running" in line for line in said if line != "started"), said
        pid = _info_pid(project)
        assert all(f"(pid {pid})" in out for _, out, _ in results), results
        assert _daemons_of(project) == [pid]
        project.deploy_first()
        assert project.version() == "v1"
        assert project.cli("history").returncode == 0
    finally:
        down = project.cli("down", check=False)
    assert down.returncode == 0, down.stderr
    assert not pid_alive(pid)
    assert "started" in project.cli("up").stdout  # nothing left that blocks the next one
    project.cli("down")


def test_a_second_daemon_stops_before_it_writes_anything(tmp_path: Path) -> None:
    project = make_project(tmp_path / "second")
    project.cli("up")
    try:
        state = StateDir.of(project.dir)
        token, info = state.token(), state.info_file.read_text()
        second = subprocess.run(
            [sys.executable, "-m", "bluegreen.local.daemon", str(project.dir)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 4, second.stderr
        assert "already runs" in second.stderr
        assert (state.token(), state.info_file.read_text()) == (token, info)
        assert project.cli("history").returncode == 0
    finally:
        project.cli("down")


def test_a_killed_daemon_leaves_no_lock_that_blocks_up(tmp_path: Path) -> None:
    project = make_project(tmp_path / "killed")
    project.cli("up")
    pid = _info_pid(project)
    os.kill(pid, signal.SIGKILL)
    _wait_gone(pid)
    try:
        assert "started" in project.cli("up").stdout
        assert _info_pid(project) != pid
    finally:
        project.cli("down")


def test_down_exits_4_when_a_task_process_outlives_the_daemon(tmp_path: Path) -> None:
    project = make_project(tmp_path / "left")
    project.cli("up")
    straggler = subprocess.Popen(["sleep", "300"])
    try:
        pids = StateDir.of(project.dir).task_pids
        pids.mkdir(parents=True, exist_ok=True)
        (pids / "web-straggler.pid").write_text(str(straggler.pid))
        down = project.cli("down", check=False)
        assert down.returncode == 4, down.stdout
        assert f"web-straggler (pid {straggler.pid})" in down.stderr
    finally:
        straggler.kill()
        straggler.wait()
