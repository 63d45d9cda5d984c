"""The gate on the test listener: probe green there before production moves.

The engine counts consecutive ok probes; this loop only probes and reports.
When the probe that would complete the run is ok and `validation.command`
is set, the command (a smoke test, say) runs first and decides that probe,
so a green that answers its health path but fails the smoke test never
gets production traffic.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from ..engine.actions import StartValidation
from ..engine.inputs import ValidationResult
from ..shell import run_shell

Feed = Callable[[ValidationResult], Awaitable[None]]
Command = Callable[[], Awaitable[tuple[bool, str]]]


async def probe(
    client: httpx.AsyncClient, url: str, matches: Callable[[int], bool]
) -> tuple[bool, str]:
    try:
        response = await client.get(url)
    except httpx.HTTPError as exc:
        return False, f"{url}: {type(exc).__name__}"
    return matches(response.status_code), f"{url}: {response.status_code}"


async def validate(
    action: StartValidation,
    test_url: str,
    matches: Callable[[int], bool],
    feed: Feed,
    command: Command | None = None,
) -> None:
    """Probe until cancelled (the controller cancels it on StopValidation)."""
    url = test_url.rstrip("/") + action.path
    streak = 0
    async with httpx.AsyncClient(timeout=max(action.interval, 1.0)) as client:
        while True:
            ok, detail = await probe(client, url, matches)
            streak = streak + 1 if ok else 0
            if ok and command and streak >= action.consecutive_successes:
                ok, detail = await command()
                streak = 0 if not ok else streak
            await feed(ValidationResult(at=time.time(), ok=ok, detail=detail))
            await asyncio.sleep(action.interval)


def smoke_command(command: str, cwd: Path, env: dict[str, str], timeout: float) -> Command:
    """`validation.command` as a Command: ok when it exits 0."""

    async def run() -> tuple[bool, str]:
        result = await run_shell(command, cwd=cwd, env=env, timeout=timeout)
        return result.ok, f"validation command {result.detail}: {result.output[-500:]}"

    return run
