"""Lifecycle hooks: the local command `bluegreen.toml` maps to an AppSpec hook.

A hook runs in the project directory, in its own process group (a timeout
kills the group, not just the shell), with the deployment's coordinates in
its environment. Its output is kept (the tail, bounded) for the event log.
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
class HookResult:
    ok: bool
    exit_code: int | None
    output: str
    detail: str


async def run_hook(
    command: str, *, cwd: Path, env: Mapping[str, str], timeout: float
) -> HookResult:
    """Run `command` with `sh -c`; ok when it exits 0 within `timeout`."""
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
        return HookResult(False, None, output, f"timed out after {timeout:g}s")
    return HookResult(code == 0, code, output, f"exited {code}")


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
