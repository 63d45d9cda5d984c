"""The local stand-in for an Application Load Balancer, embedded in the daemon.

One `LoadBalancer` per daemon runs on the daemon's asyncio loop: listeners
(ports) forward requests to target groups by weight; each group health
checks its targets and drains the ones being deregistered. HTTP/1.1 is
parsed by httptools (llhttp); `loop_factory()` gives uvloop when installed.

    lb = LoadBalancer()
    blue = lb.add_target_group("blue", HealthCheckConfig(path="/health"), deregistration_delay=5)
    blue.register("127.0.0.1", 9001)
    prod = await lb.add_listener("production", 8080)
    prod.set_weights({"blue": 100})
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from dataclasses import replace

from prometheus_client import CollectorRegistry, generate_latest

from ..spec.config import HealthCheckConfig
from .health_check import HealthChecker
from .listener import Listener
from .metrics import (
    CHECKPOINT_SECONDS,
    GroupLabels,
    ListenerCollector,
    PrometheusCollector,
    no_labels,
)
from .proxy import ClientConnection
from .proxy_settings import ProxySettings, with_connection_limit
from .target import Target, TargetState
from .target_group import TargetGroup
from .write_batch import WriteBatch

log = logging.getLogger(__name__)

__all__ = [
    "HealthCheckConfig",
    "Listener",
    "LoadBalancer",
    "ProxySettings",
    "Target",
    "TargetGroup",
    "TargetState",
    "loop_factory",
]


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop]:
    """uvloop's loop when installed (about twice the throughput), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop
    return uvloop.new_event_loop


class LoadBalancer:
    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        request_timeout: float | None = None,
        max_body: int | None = None,
        settings: ProxySettings | None = None,
    ) -> None:
        """`settings` holds every limit and timeout; the two keywords override it.
        Its `max_connections` is checked against the open-file limit here
        (ValueError naming the limit)."""
        settings = with_connection_limit(settings or ProxySettings())
        if request_timeout is not None:
            settings = replace(settings, request_timeout=request_timeout)
        if max_body is not None:
            settings = replace(settings, max_body=max_body)
        self.settings = settings
        self.host = host
        self.listeners: dict[str, Listener] = {}
        self.groups: dict[str, TargetGroup] = {}
        self._checkers: dict[str, HealthChecker] = {}
        self._sweeper: asyncio.Task[None] | None = None
        self._writes: WriteBatch | None = None  # made with the first listener, on its loop
        self.group_labels: GroupLabels = no_labels
        """Role and revision of each group for /metrics; the platform knows them."""
        self._registry = CollectorRegistry(auto_describe=True)
        collector = PrometheusCollector(
            lambda: list(self.groups.values()),
            lambda: list(self.listeners.values()),
            lambda: self.group_labels,
        )
        self._registry.register(collector)
        self._registry.register(ListenerCollector(lambda: list(self.listeners.values())))

    async def add_listener(
        self, name: str, port: int = 0, *, sock: socket.socket | None = None
    ) -> Listener:
        """Listen on `port` (0: a free one, read back from `Listener.port`), or on
        `sock`, a listening socket another process bound and keeps: it does not
        accept until `Listener.start_serving`, so connections wait in its queue
        until the targets behind it can answer."""
        if name in self.listeners:
            raise ValueError(f"listener {name!r} exists already")
        assert self.settings.max_connections is not None  # see with_connection_limit
        listener = Listener(name, self.groups, max_connections=self.settings.max_connections)
        loop = asyncio.get_running_loop()
        writes = self._writes = self._writes or WriteBatch(loop)

        def connection() -> ClientConnection:
            return ClientConnection(listener, self.settings, writes)

        backlog = self.settings.backlog
        if sock is None:
            server = await loop.create_server(connection, self.host, port, backlog=backlog)
        else:
            server = await loop.create_server(
                connection, sock=sock, backlog=backlog, start_serving=False
            )
        listener.serving(server)
        self.listeners[name] = listener
        self._start_sweeper()
        return listener

    def add_target_group(
        self,
        name: str,
        health: HealthCheckConfig,
        *,
        deregistration_delay: float,
        upgrade_grace: float | None = None,
    ) -> TargetGroup:
        """A group whose targets are health checked from now on (needs a running loop).
        `upgrade_grace`: how long a draining target's WebSockets may stay (2 × delay)."""
        if name in self.groups:
            raise ValueError(f"target group {name!r} exists already")
        group = TargetGroup(
            name, health, deregistration_delay=deregistration_delay, upgrade_grace=upgrade_grace
        )
        self.groups[name] = group
        checker = HealthChecker(group)
        checker.start()
        self._checkers[name] = checker
        self._start_sweeper()
        return group

    async def set_health_check(self, name: str, health: HealthCheckConfig) -> None:
        """Give a group another health check (a new revision's, as its tasks come),
        probed from now on at its own interval: the group's checker starts anew."""
        group = self.groups[name]
        if group.health == health:
            return
        group.health = health
        await self._checkers[name].stop()
        self._checkers[name].start()

    async def close(self) -> None:
        """Stop listening, stop health checks, close every connection."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        for listener in self.listeners.values():
            await listener.close()
        if self._writes is not None:  # the last replies, and the closes behind them
            self._writes.send()
        for checker in self._checkers.values():
            await checker.stop()
        for group in self.groups.values():
            for target in group.targets:
                target.release()
        self.listeners.clear()

    def metrics_text(self) -> bytes:
        """Prometheus text exposition of every group's and target's counters."""
        return generate_latest(self._registry)

    def _start_sweeper(self) -> None:
        if self._sweeper is None:
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep())

    async def _sweep(self) -> None:
        """Enforce every deadline from one periodic task rather than a timer
        per request: timers are the single largest per-request cost otherwise."""
        loop = asyncio.get_running_loop()
        tick = min(self.settings.tick, CHECKPOINT_SECONDS)
        while True:
            await asyncio.sleep(tick)
            try:
                self._sweep_once(loop.time())
            except Exception:  # a bug here must not end every timeout for good
                log.exception("load balancer sweep failed")

    def _sweep_once(self, now: float) -> None:
        for listener in self.listeners.values():
            for connection in list(listener.connections):
                connection.check_deadlines(now)
        for group in self.groups.values():
            group.metrics.checkpoint()
            for target in group.targets:
                expire_idle(target, now - self.settings.upstream_idle_timeout)


def expire_idle(target: Target, idle_since: float) -> None:
    """Close pooled connections unused since `idle_since`, before the target's
    own keep-alive timeout closes them under a request."""
    keep = [c for c in target.idle if c.idle_at >= idle_since]
    if len(keep) != len(target.idle):
        for connection in target.idle:
            if connection.idle_at < idle_since:
                connection.close()
        target.idle[:] = keep
