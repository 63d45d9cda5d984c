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

if TYPE_CHECKING:
    from .upstream import UpstreamConnection


class TargetState(StrEnum):
    INITIAL = "initial"
    HEALTHY = "healthy"
    UNHEALTHY = "unhealthy"
    DRAINING = "draining"
    UNUSED = "unused"


# Registered and not draining: health checked, and connections may go back to the pool.
OPEN_STATES = (TargetState.INITIAL, TargetState.HEALTHY, TargetState.UNHEALTHY)


class Target:
    """A backend address plus the keep-alive connections the proxy holds to it."""

    __slots__ = (
        "_drained",
        "connections",
        "counters",
        "failures",
        "group",
        "host",
        "idle",
        "in_flight",
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
        self.counters = Counters()
        self.idle: list[UpstreamConnection] = []  # LIFO: the warmest connection first
        self.connections: set[UpstreamConnection] = set()
        self.tunnels: set[UpstreamConnection] = set()  # upgraded (WebSocket) connections
        self._drained: asyncio.Event | None = None

    def __repr__(self) -> str:
        return f"<Target {self.group} {self.address} {self.state}>"

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

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
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._drained.wait(), remaining)
        return done(self)

    def release(self) -> None:
        """Close whatever is left (the drain ran out of time) and leave the group."""
        self.state = TargetState.UNUSED
        for connection in list(self.connections):
            connection.close()
        self.idle.clear()
