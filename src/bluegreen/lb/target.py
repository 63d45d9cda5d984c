"""One registered host:port: its state, its outstanding requests, its pool.

States follow ALB: `initial` (registered, not yet proven healthy),
`healthy`, `unhealthy`, `draining` (deregistered, in-flight requests
finishing) and `unused` (released). Only the health checker moves a target
between the first three; deregistration moves it to the last two.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING

from .metrics import Counters
from .target_health import CheckResult, Reason, ReasonCode, standard

if TYPE_CHECKING:
    from .upstream import UpstreamConnection


class TargetState(StrEnum):
    INITIAL = "initial"
    HEALTHY = "healthy"
    UNHEALTHY = "unhealthy"
    DRAINING = "draining"
    UNUSED = "unused"


RECHECK = 0.1  # seconds between looks at a draining target's conditions

# Registered and not draining: health checked, and connections may go back to the pool.
OPEN_STATES = (TargetState.INITIAL, TargetState.HEALTHY, TargetState.UNHEALTHY)


class Target:
    """A backend address plus the keep-alive connections the proxy holds to it."""

    __slots__ = (
        "_drained",
        "answered",
        "connections",
        "counters",
        "drain",
        "failures",
        "group",
        "host",
        "idle",
        "in_flight",
        "last_check",
        "last_failure",
        "port",
        "state",
        "successes",
        "tunnels",
    )

    def __init__(self, group: str, host: str, port: int) -> None:
        self.group = group
        self.host = host
        self.port = port
        self.state = TargetState.INITIAL
        self.in_flight = 0
        self.successes = 0  # consecutive, for the health thresholds
        self.failures = 0
        self.last_check: CheckResult | None = None  # the health checker's, for `reason`
        self.last_failure: Reason | None = None
        self.counters = Counters()
        self.idle: list[UpstreamConnection] = []  # LIFO: the warmest connection first
        self.connections: set[UpstreamConnection] = set()
        self.tunnels: set[UpstreamConnection] = set()  # upgraded (WebSocket) connections
        self._drained: asyncio.Event | None = None
        self.drain: asyncio.Task[None] | None = None  # its group's drain, once deregistered
        self.answered = asyncio.Event()
        """Set while draining once only streams are left (or the delay is over): the
        moment to tell its task to stop."""

    def __repr__(self) -> str:
        return f"<Target {self.group} {self.address} {self.state}>"

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def refused(self) -> bool:
        """The last health check found nothing listening on the target's port."""
        return self.last_check is not None and self.last_check.refused

    def health(self) -> dict[str, str]:
        """Address, state and reason, as `status` and the dashboard show them."""
        reason = self.reason.to_dict() if self.reason else {}
        return {"target": self.address, "state": str(self.state), **reason}

    @property
    def reason(self) -> Reason | None:
        """Why the target is in its state, as ALB says it (healthy has no reason),
        with our detail: while initial, what the last check found; when
        unhealthy, how the last failed check failed (a passing check does not
        make it healthy yet)."""
        if self.state is TargetState.HEALTHY:
            return None
        if self.state is TargetState.DRAINING:
            return standard(ReasonCode.DEREGISTRATION_IN_PROGRESS)
        if self.state is TargetState.UNUSED:
            return standard(ReasonCode.NOT_REGISTERED)
        last = self.last_check
        if last is None:
            return standard(ReasonCode.REGISTRATION_IN_PROGRESS)
        if self.state is TargetState.INITIAL:
            failure = last.failure
            seen = f"{failure.code}, {failure.detail}" if failure else "passed"
            return standard(ReasonCode.INITIAL_HEALTH_CHECKING, f"last check: {seen}")
        return self.last_failure or standard(ReasonCode.FAILED_HEALTH_CHECKS)

    def request_finished(self) -> None:
        self.in_flight -= 1
        if self._drained is not None:
            self._drained.set()

    def tunnel_closed(self, connection: UpstreamConnection) -> None:
        self.tunnels.discard(connection)
        if self._drained is not None:
            self._drained.set()

    def start_draining(self) -> None:
        """Stop taking requests and close the pooled connections nobody uses."""
        self.state = TargetState.DRAINING
        self._drained = asyncio.Event()
        for connection in self.idle:
            connection.close()
        self.idle.clear()

    async def wait_until(self, done: Callable[[Target], bool], timeout: float) -> bool:
        """Wait (while draining) until `done(self)` or the timeout; return done(self)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not done(self) and self._drained is not None:
            self._drained.clear()
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                break
            # Rechecked now and then too: a response head turning a request into
            # a stream sets no event.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._drained.wait(), min(remaining, RECHECK))
        return done(self)

    def close_requests(self) -> None:
        """The deregistration delay is over: cut the requests still served, not the tunnels."""
        for connection in list(self.connections):
            if not connection.tunnel:
                connection.close()

    def release(self) -> None:
        """Close whatever is left (the drain ran out of time) and leave the group."""
        self.state = TargetState.UNUSED
        for connection in list(self.connections):
            connection.close()
        self.idle.clear()
