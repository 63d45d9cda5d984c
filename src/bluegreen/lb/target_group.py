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
from .metrics import GroupMetrics
from .routing import LeastOutstanding
from .target import Target, TargetState

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
        """Drain: no new requests, in-flight ones finish within the
        deregistration delay, upgraded connections within their grace;
        then whatever remains is closed and the target released."""
        if target not in self.targets or target.state is TargetState.DRAINING:
            return
        self.set_state(target, TargetState.DRAINING)
        target.start_draining()
        loop = asyncio.get_running_loop()
        started = loop.time()
        await target.wait_until(lambda t: t.in_flight == 0, self.deregistration_delay)
        grace = self.upgrade_grace - (loop.time() - started)
        await target.wait_until(lambda t: t.in_flight == 0 and not t.tunnels, grace)
        self.set_state(target, TargetState.UNUSED)
        target.release()
        self.targets.remove(target)
        self.metrics.release(target)

    def subscribe(self, callback: HealthCallback) -> None:
        """Call `callback(target, old, new)` on every state change."""
        self._subscribers.append(callback)

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
            self.set_state(target, TargetState.UNHEALTHY)
