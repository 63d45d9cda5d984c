"""Green's alarms: its 5xx ratio and p99 latency over a sliding window.

Read from the load balancer's per-target-group metrics while the engine
asks (during and after the traffic shift). An alarm fires once per watch:
the engine rolls back on the first, and a second would say nothing new.
Too few requests in the window say nothing either (`min_requests`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from ..engine.inputs import Alarm
from ..lb.metrics import MetricsSnapshot
from ..spec.config import AlarmsConfig
from .clock import Clock

Feed = Callable[[Alarm], Awaitable[None]]
Snapshot = Callable[[float], MetricsSnapshot]


def breached(config: AlarmsConfig, snapshot: MetricsSnapshot, now: float) -> Alarm | None:
    if snapshot.requests < config.min_requests:
        return None
    if config.error_rate is not None and snapshot.error_rate > config.error_rate:
        detail = (
            f"green 5xx rate {snapshot.error_rate:.1%} over {snapshot.window:g}s "
            f"({snapshot.errors_5xx} of {snapshot.requests}) above {config.error_rate:.1%}"
        )
        return Alarm(at=now, name="error_rate", detail=detail)
    if config.p99 is not None and snapshot.p99 is not None and snapshot.p99 > config.p99:
        detail = f"green p99 {snapshot.p99 * 1000:.0f}ms above {config.p99 * 1000:.0f}ms"
        return Alarm(at=now, name="p99", detail=detail)
    return None


async def watch_alarms(
    config: AlarmsConfig, snapshot: Snapshot, feed: Feed, every: float, clock: Clock
) -> None:
    """Poll until an alarm fires or the controller cancels the watch."""
    if config.error_rate is None and config.p99 is None:
        return
    while True:
        alarm = breached(config, snapshot(config.window), clock.now())
        if alarm:
            await feed(alarm)
            return
        await clock.sleep_until(clock.now() + every)
