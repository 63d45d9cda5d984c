"""Active health checks with ALB semantics, one loop per target group.

Every `interval` each target that is not draining gets `GET path`; an
answer within `timeout` whose status the matcher accepts is a success.
`healthy_threshold` consecutive successes make a target healthy,
`unhealthy_threshold` consecutive failures unhealthy; a new target stays
`initial` until one of the two thresholds is reached, as on ALB.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from .target import OPEN_STATES, Target, TargetState
from .target_group import TargetGroup

log = logging.getLogger(__name__)

CHECKED_STATES = OPEN_STATES


class HealthChecker:
    def __init__(self, group: TargetGroup) -> None:
        self.group = group
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        interval = self.group.health.interval
        while True:
            targets = [t for t in self.group.targets if t.state in CHECKED_STATES]
            await asyncio.gather(asyncio.sleep(interval), *(self._check(t) for t in targets))

    async def _check(self, target: Target) -> None:
        health = self.group.health
        status = await probe(target.host, target.port, health.path, health.timeout)
        if target.state in CHECKED_STATES:
            self.record(target, status is not None and health.matches(status))

    def record(self, target: Target, ok: bool) -> None:
        """Count one probe result and move the target when a threshold is reached."""
        health = self.group.health
        if ok:
            target.successes, target.failures = target.successes + 1, 0
            if target.successes >= health.healthy_threshold:
                self.group.set_state(target, TargetState.HEALTHY)
        else:
            target.successes, target.failures = 0, target.failures + 1
            if target.failures >= health.unhealthy_threshold:
                self.group.set_state(target, TargetState.UNHEALTHY)


async def probe(host: str, port: int, path: str, timeout: float) -> int | None:
    """The status code of `GET path`, or None when no answer came in time."""
    try:
        return await asyncio.wait_for(fetch_status(host, port, path), timeout)
    except Exception:  # whatever kept a status from arriving is a failed check
        return None


async def fetch_status(host: str, port: int, path: str) -> int:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            "User-Agent: bluegreen-health-check\r\nConnection: close\r\n\r\n".encode()
        )
        status_line = await reader.readline()
        _, code, *_ = status_line.split(b" ", 2)
        return int(code)
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
