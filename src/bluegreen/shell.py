"""A user's shell command (a lifecycle hook, the validation smoke test), run
the one way every platform runs it.

It runs with `sh -c` in its own process group, so a timeout kills the group
and not just the shell (a `sleep 30 &` inside would otherwise outlive it);
stdin is closed, so a command waiting for input fails instead of hanging a
pipeline; the output is kept as a bounded tail for the event log. Every
such command sees the deployment's coordinates in the same variables
(`hook_environment`), wherever it runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

OUTPUT_LIMIT = 8192


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
    command: str, *, cwd: Path, env: Mapping[str, str], timeout: float
) -> ShellResult:
    """Run `command` with `sh -c`, `env` over this process's environment;
    ok when it exits 0 within `timeout`."""
    process = await asyncio.create_subprocess_exec(
        "/bin/sh",
        "-c",
        command,
        cwd=cwd,
        env={**os.environ, **env},
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
    )
    assert process.stdout is not None
    reading = asyncio.create_task(process.stdout.read())
    try:
        code = await asyncio.wait_for(process.wait(), timeout)
    except TimeoutError:
        code = None
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        await process.wait()
    output = (await reading).decode(errors="replace")[-OUTPUT_LIMIT:]
    if code is None:
        return ShellResult(False, None, output, f"timed out after {timeout:g}s")
    return ShellResult(code == 0, code, output, f"exited {code}")
