"""Active health checks with ALB semantics, one loop per target group.

Every `interval` each target that is not draining gets `GET path`; an
answer within `timeout` whose status the matcher accepts is a success.
`healthy_threshold` consecutive successes make a target healthy,
`unhealthy_threshold` consecutive failures unhealthy; a new target stays
`initial` until one of the two thresholds is reached, as on ALB. Each
check leaves its result on the target, so the target can say why it is
unhealthy with ALB's reason code (`target_health`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from ..spec.config import HealthCheckConfig
from .target import OPEN_STATES, Target, TargetState
from .target_group import TargetGroup
from .target_health import CONNECTION_REFUSED, PASSED, CheckResult, failed, mismatch, timed_out

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
        result = await probe(target.host, target.port, self.group.health)
        if target.state in CHECKED_STATES:
            self.record(target, result)

    def record(self, target: Target, result: CheckResult) -> None:
        """Count one probe result and move the target when a threshold is reached;
        a new reason within the same state (a timeout where a 404 was) is told too."""
        health = self.group.health
        before = target.reason
        target.last_check = result
        target.last_failure = result.failure or target.last_failure
        state = target.state
        if result.ok:
            target.successes, target.failures = target.successes + 1, 0
            if target.successes >= health.healthy_threshold:
                state = TargetState.HEALTHY
        else:
            target.successes, target.failures = 0, target.failures + 1
            if target.failures >= health.unhealthy_threshold:
                state = TargetState.UNHEALTHY
        if state is not target.state:
            self.group.set_state(target, state)
        elif target.reason != before:
            self.group.reason_changed(target)


async def probe(host: str, port: int, health: HealthCheckConfig) -> CheckResult:
    """`GET path` once, judged as ALB judges it, with the reason a failure gives."""
    try:
        status = await asyncio.wait_for(fetch_status(host, port, health.path), health.timeout)
    except TimeoutError:
        return timed_out(health.path, health.timeout)
    except ConnectionRefusedError:
        return failed(CONNECTION_REFUSED)
    except OSError as exc:
        return failed(f"cannot connect: {exc.strerror or exc!r}")
    except MalformedResponse as exc:
        return failed(str(exc))
    return PASSED if health.matches(status) else mismatch(status, health.path)


class MalformedResponse(Exception):
    """The target answered, but not with an HTTP status line."""


async def fetch_status(host: str, port: int, path: str) -> int:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            "User-Agent: bluegreen-health-check\r\nConnection: close\r\n\r\n".encode()
        )
        status_line = await reader.readline()
        return parse_status(status_line)
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


def parse_status(status_line: bytes) -> int:
    if not status_line:
        raise MalformedResponse("the connection closed before a response")
    version, _, rest = status_line.partition(b" ")
    code = rest[:3]
    if not version.startswith(b"HTTP/") or not code.isdigit():
        raise MalformedResponse(f"not an HTTP response: {status_line[:60]!r}")
    return int(code)
