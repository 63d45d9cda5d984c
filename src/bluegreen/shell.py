"""A user's shell command (a lifecycle hook, the validation smoke test), run
the one way every platform runs it.

It runs with `sh -c` in its own process group, so a timeout kills the group
and not just the shell (a `sleep 30 &` inside would otherwise outlive it);
stdin is closed, so a command waiting for input fails instead of hanging a
pipeline; the output is kept as a bounded tail for the event log. Every
such command sees the deployment's coordinates in the same variables
(`hook_environment`), wherever it runs.

A process group is not the whole of what a command starts: a `setsid`
child leaves it, and a double fork leaves the shell's tree. So each run
carries a mark of its own in its environment (`SHELL_MARK`), which every
descendant inherits whatever its group or parent; when the command ends or
times out, every process bearing the mark is stopped (so none can fork
away meanwhile), then killed. With `record`, the run's mark and group are
kept in a file there while it runs, so that a daemon killed mid-hook can
have its successor kill what it left (`kill_recorded`). A process that
clears its own environment escapes the mark; only its group is then killed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

OUTPUT_LIMIT = 8192
SHELL_MARK = "BLUEGREEN_SHELL_RUN"
STOP_ROUNDS = 50
"""How many times the marked processes are looked for again while stopping them:
each round stops what forked since the last; a fork bomb is stopped in far fewer."""


@dataclass(frozen=True)
class ShellResult:
    ok: bool
    exit_code: int | None
    output: str
    detail: str


def hook_environment(
    deployment_id: str, event: str, revision: str, prod_url: str, test_url: str
) -> dict[str, str]:
    return {
        "BLUEGREEN_DEPLOYMENT_ID": deployment_id,
        "BLUEGREEN_LIFECYCLE_EVENT": event,
        "BLUEGREEN_REVISION": revision,
        "BLUEGREEN_PROD_URL": prod_url,
        "BLUEGREEN_TEST_URL": test_url,
    }


async def run_shell(
    command: str,
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
    record: Path | None = None,
) -> ShellResult:
    """Run `command` with `sh -c`, `env` over this process's environment;
    ok when it exits 0 within `timeout`. Whatever it started is killed when it ends."""
    mark = uuid.uuid4().hex
    process = await asyncio.create_subprocess_exec(
        "/bin/sh",
        "-c",
        command,
        cwd=cwd,
        env={**os.environ, **env, SHELL_MARK: mark},
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
    )
    recorded = _record(record, mark, process.pid)
    assert process.stdout is not None
    reading = asyncio.create_task(process.stdout.read())
    try:
        code = await asyncio.wait_for(process.wait(), timeout)
    except TimeoutError:
        code = None
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        await asyncio.to_thread(kill_marked, mark)
        await process.wait()
        if recorded is not None:
            recorded.unlink(missing_ok=True)
    output = (await reading).decode(errors="replace")[-OUTPUT_LIMIT:]
    if code is None:
        return ShellResult(False, None, output, f"timed out after {timeout:g}s")
    return ShellResult(code == 0, code, output, f"exited {code}")


def _record(directory: Path | None, mark: str, pgid: int) -> Path | None:
    if directory is None:
        return None
    directory.mkdir(mode=0o700, exist_ok=True)
    path = directory / mark
    path.write_text(str(pgid))
    return path


def kill_recorded(directory: Path) -> list[int]:
    """Kill what the runs recorded in `directory` left (their daemon died meanwhile);
    the pids killed. Only marked processes are: a recorded group id may be reused."""
    killed: list[int] = []
    for path in sorted(directory.glob("*")) if directory.is_dir() else []:
        killed += kill_marked(path.name)
        path.unlink(missing_ok=True)
    return killed


def kill_marked(mark: str) -> list[int]:
    """Stop every process whose environment bears `mark` until no new one appears,
    then kill them all; the pids killed."""
    stopped: set[int] = set()
    for _ in range(STOP_ROUNDS):
        found = _marked(mark) - stopped
        if not found:
            break
        for pid in found:
            _signal(pid, signal.SIGSTOP)
        stopped |= found
    for pid in stopped:
        _signal(pid, signal.SIGKILL)
    return sorted(stopped)


def _marked(mark: str) -> set[int]:
    wanted = f"{SHELL_MARK}={mark}".encode()
    found = set()
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else []:
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:  # gone, or another user's
            continue
        if wanted in environ.split(b"\0"):
            found.add(int(entry.name))
    return found


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)
