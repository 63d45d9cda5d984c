"""A target group: targets behind one health check, as ALB has them.

The listener asks a group for a target per request; the group answers
with the least busy healthy one. When no target is healthy the group
fails open (ALB does the same): a wrong health check should not take a
whole service down. Draining is a method here because its clock (the
deregistration delay) is the group's setting.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection

from ..spec.config import HealthCheckConfig
from .exchange import UNTIL_CLOSE
from .metrics import GroupMetrics
from .routing import LeastOutstanding
from .target import Target, TargetState
from .target_health import ReasonCode, standard

log = logging.getLogger(__name__)

HealthCallback = Callable[[Target, TargetState, TargetState], None]
FAIL_OPEN_STATES = (TargetState.INITIAL, TargetState.UNHEALTHY)


class TargetGroup:
    def __init__(
        self,
        name: str,
        health: HealthCheckConfig,
        *,
        deregistration_delay: float,
        upgrade_grace: float | None = None,
    ) -> None:
        self.name = name
        self.health = health
        self.deregistration_delay = deregistration_delay
        # Upgraded (WebSocket) connections are long-lived by nature, so they
        # get their own, longer grace (twice the delay unless told) before being cut.
        grace = 2 * deregistration_delay if upgrade_grace is None else upgrade_grace
        self.upgrade_grace = max(grace, deregistration_delay)
        self.targets: list[Target] = []
        self.metrics = GroupMetrics(lambda: self.targets)
        self.healthy: list[Target] = []  # kept by set_state; read per request
        self._subscribers: list[HealthCallback] = []
        self._picker = LeastOutstanding()

    def __repr__(self) -> str:
        return f"<TargetGroup {self.name} {len(self.targets)} targets>"

    @property
    def healthy_count(self) -> int:
        return len(self.healthy)

    def register(self, host: str, port: int) -> Target:
        """Add a target in `initial`; it takes traffic once the health check passes."""
        for target in self.targets:
            if (target.host, target.port) == (host, port):
                return target
        target = Target(self.name, host, port)
        self.targets.append(target)
        return target

    async def deregister(self, target: Target) -> None:
        """Drain `target` (see `begin_drain`) and wait until it is released."""
        await self.begin_drain(target)

    def begin_drain(self, target: Target) -> asyncio.Future[None]:
        """Stop sending `target` new requests now, and drain it: the task returned
        ends once it is released. In-flight requests may finish within the
        deregistration delay, upgraded connections within their grace; what
        outlasts them is closed. `target.answered` is set once only streams
        are left: its task may be told to stop then, and the connections it
        still has are kept, so that it can end them itself."""
        if target in self.targets and target.state is not TargetState.DRAINING:
            self.set_state(target, TargetState.DRAINING)
            target.start_draining()
            target.drain = asyncio.get_running_loop().create_task(self._drain(target))
        if target.drain is not None:
            return target.drain
        released = asyncio.get_running_loop().create_future()  # not ours: nothing to drain
        released.set_result(None)
        return released

    async def _drain(self, target: Target) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            await target.wait_until(serves_only_streams, self.deregistration_delay)
        finally:  # whoever waits to stop the task must never wait for good
            target.answered.set()
        delay = self.deregistration_delay - (loop.time() - started)
        await target.wait_until(lambda t: t.in_flight == 0, delay)
        target.close_requests()
        grace = self.upgrade_grace - (loop.time() - started)
        await target.wait_until(lambda t: not t.tunnels, grace)
        self.set_state(target, TargetState.UNUSED)
        target.release()
        self.targets.remove(target)
        self.metrics.release(target)

    def subscribe(self, callback: HealthCallback) -> None:
        """Call `callback(target, old, new)` on every state change, and with
        `old is new` when the target's reason changes within a state."""
        self._subscribers.append(callback)

    def reason_changed(self, target: Target) -> None:
        log.info("target %s in %s: %s (%s)", target.address, self.name, target.state, target.reason)
        for callback in self._subscribers:
            callback(target, target.state, target.state)

    def set_state(self, target: Target, state: TargetState) -> None:
        old = target.state
        if old is state:
            return
        target.state = state
        self.healthy = [t for t in self.targets if t.state is TargetState.HEALTHY]
        log.info("target %s in %s: %s -> %s", target.address, self.name, old, state)
        for callback in self._subscribers:
            callback(target, old, state)

    def choose(self, exclude: Collection[Target] = ()) -> Target | None:
        """The least busy healthy target, failing open when none is healthy."""
        candidates = self.healthy
        if len(candidates) == 1 and not exclude:
            return candidates[0]
        if exclude:
            candidates = [t for t in candidates if t not in exclude]
        if not candidates and not self.healthy:
            candidates = [
                t for t in self.targets if t.state in FAIL_OPEN_STATES and t not in exclude
            ]
        return self._picker.pick(candidates) if candidates else None

    def connect_failed(self, target: Target) -> None:
        """Passive check: a refused connect takes the target out at once,
        without waiting for the next probes; the health check brings it back."""
        if target.state is TargetState.HEALTHY:
            target.successes = 0
            target.last_failure = standard(
                ReasonCode.FAILED_HEALTH_CHECKS, "a proxied request could not connect"
            )
            self.set_state(target, TargetState.UNHEALTHY)


def serves_only_streams(target: Target) -> bool:
    """Whether every request the target still serves has a body without an end of
    its own (an event stream, any chunked or until-close body): what an app ends
    itself when told to stop. A response with a length, or one not begun, is
    waited for before the app is told, as ECS waits for it."""
    streams = 0
    for connection in target.connections:
        exchange = connection.exchange
        if exchange is not None and (exchange.rechunk or exchange.phase is UNTIL_CLOSE):
            streams += 1
    return target.in_flight <= streams
