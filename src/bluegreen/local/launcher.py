"""`up` and `down`: starting the project's daemon in the background and stopping it.

`up` is idempotent: a running daemon is reported, not doubled; a stale
`daemon.json` (its pid gone, after a crash) is cleaned and a new daemon
started, which restores the stable revision before it says it is ready.
`down` asks the daemon to drain and waits for its process to end, then
checks that neither its runtime (`bluegreen.runtime`) nor a task process
outlived it; a runtime left serving by a controller that died gets a
controller first, which ends what was interrupted.

`up`s started together take turns on `up.lock`: the first starts the
daemon and waits until it serves; the next ones wait for the lock, find
that daemon running and say so. None of them writes a file before it holds
the lock, and the daemon itself holds `daemon.lock` (see `state_dir`), so
nothing can leave a daemon that commands cannot reach.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from ..errors import PlatformError
from ..runtime.spawn import log_tail, start_detached
from ..state_dir import DaemonInfo, StateDir, pid_alive, try_lock

START_TIMEOUT = 120.0
STOP_TIMEOUT = 120.0
POLL = 0.05


def start_daemon(
    project_dir: Path,
    *,
    foreground: bool = False,
    before_launch: Callable[[], None] = lambda: None,
) -> tuple[DaemonInfo, bool]:
    """The running daemon and whether this call started it; `before_launch` runs
    in this `up`'s turn, when no daemon runs (the state check: a daemon another
    `up` is starting meanwhile would be creating the store it reads)."""
    state = StateDir.of(project_dir)
    state.prepare()
    lock = _wait_for_turn(state)
    try:
        running = state.read_info()
        if running is not None:
            return running, False
        before_launch()
        return _launch(state, project_dir, foreground=foreground), True
    finally:
        os.close(lock)  # exec closes it too: the foreground daemon does not inherit it


def _wait_for_turn(state: StateDir) -> int:
    """`up.lock`, once the `up` that holds it (starting a daemon) is done."""
    deadline = time.monotonic() + START_TIMEOUT
    while (lock := try_lock(state.up_lock_file)) is None:
        if time.monotonic() > deadline:
            raise PlatformError(
                f"another `bluegreen up` has been starting the daemon for {START_TIMEOUT:g}s"
            )
        time.sleep(POLL)
    return lock


def _launch(state: StateDir, project_dir: Path, *, foreground: bool) -> DaemonInfo:
    command = [sys.executable, "-m", "bluegreen.local.daemon", str(project_dir.resolve())]
    if foreground:
        os.execv(sys.executable, command)
    process, log_start = start_detached(command, state.log_file)
    return _wait_ready(state, process, log_start)


def _wait_ready(state: StateDir, process: subprocess.Popen[bytes], log_start: int) -> DaemonInfo:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        info = state.read_info()
        if info is not None and info.pid == process.pid:
            return info
        if process.poll() is not None:
            raise PlatformError(f"the daemon did not start:\n{log_tail(state.log_file, log_start)}")
        time.sleep(POLL)
    process.kill()
    process.wait()
    tail = log_tail(state.log_file, log_start)
    raise PlatformError(f"the daemon was not ready within {START_TIMEOUT:g}s:\n{tail}")


def stop_daemon(project_dir: Path) -> DaemonInfo | None:
    """Drain and stop the daemon and its runtime; None when neither was running.
    A runtime whose controller died gets a controller first, which ends the
    interrupted deployment and records it, then both stop as usual."""
    state = StateDir.of(project_dir)
    info = state.read_info()
    if info is None and (runtime := state.runtime_pid()) is not None:
        try:
            info, _ = start_daemon(project_dir)
        except PlatformError as exc:  # a controller the runtime refuses (edited ports)
            print(f"bluegreen: {exc}; stopping the runtime alone", file=sys.stderr)
            return _stop_runtime_alone(state, runtime)
    if info is None:
        return None
    drain = 0.0  # how long the daemon may take to drain its tasks, beyond the rest
    try:
        answer = httpx.post(
            f"{info.url}/api/shutdown",
            headers={"Authorization": f"Bearer {state.token()}"},
            timeout=10,
        )
        if answer.is_success:
            drain = float(answer.json()["drain_seconds"])
    except httpx.TransportError:
        os.kill(info.pid, 15)
    deadline = time.monotonic() + STOP_TIMEOUT + drain
    while pid_alive(info.pid):
        if time.monotonic() > deadline:
            raise PlatformError(
                f"the daemon (pid {info.pid}) did not stop within {STOP_TIMEOUT + drain:g}s"
            )
        time.sleep(POLL)
    runtime = state.runtime_pid()
    if runtime is not None:
        raise PlatformError(
            f"the daemon (pid {info.pid}) stopped but its runtime (pid {runtime}) still "
            "serves: `bluegreen down` again, or end it with SIGTERM"
        )
    left = _tasks_left(state)
    if left:
        raise PlatformError(
            f"the daemon (pid {info.pid}) stopped but left task processes running: "
            f"{', '.join(left)}; the next `bluegreen up` kills them"
        )
    return info


def _stop_runtime_alone(state: StateDir, pid: int) -> DaemonInfo:
    """SIGTERM the runtime: it drains and stops the task sets it still has."""
    os.kill(pid, 15)
    deadline = time.monotonic() + STOP_TIMEOUT
    while pid_alive(pid):
        if time.monotonic() > deadline:
            raise PlatformError(f"the runtime (pid {pid}) did not stop within {STOP_TIMEOUT:g}s")
        time.sleep(POLL)
    left = _tasks_left(state)
    if left:
        raise PlatformError(f"the runtime (pid {pid}) stopped but left {', '.join(left)}")
    return DaemonInfo(pid, 0)


def _tasks_left(state: StateDir) -> list[str]:
    """Tasks whose pid file outlived the daemon (it removes each one it stops) and still run."""
    left = []
    for pid_file in sorted(state.task_pids.glob("*.pid")):
        with contextlib.suppress(ValueError, OSError):
            pid = int(pid_file.read_text())
            if pid_alive(pid):
                left.append(f"{pid_file.stem} (pid {pid})")
    return left
