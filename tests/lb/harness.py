"""Real load balancers, real backends and raw clients for the lb tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httptools

from bluegreen.lb.listener import Listener
from bluegreen.lb.load_balancer import LoadBalancer, loop_factory
from bluegreen.lb.metrics import MetricsSnapshot
from bluegreen.lb.proxy_settings import ProxySettings
from bluegreen.lb.target_group import TargetGroup
from bluegreen.spec.config import HealthCheckConfig
from tests.apps.lb_backend import Backend

FAST_HEALTH = HealthCheckConfig(
    path="/health", interval=0.05, timeout=0.04, healthy_threshold=2, unhealthy_threshold=2
)
T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(asyncio.wait_for(coro, 30))


async def wait_for(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.005)


@dataclass
class Setup:
    lb: LoadBalancer
    listener: Listener
    groups: dict[str, TargetGroup]
    backends: dict[str, list[Backend]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listener.port}"

    def groups_metrics(self, group: str, window: float = 60.0) -> MetricsSnapshot:
        return self.lb.groups[group].metrics.snapshot(window)

    def served(self, group: str) -> int:
        return sum(len(b.requests) for b in self.backends[group])


@asynccontextmanager
async def balancer(
    groups: dict[str, int],
    *,
    per_group: int = 1,
    settings: ProxySettings | None = None,
    deregistration_delay: float = 1.0,
    healthy: bool = True,
) -> AsyncIterator[Setup]:
    """A listener forwarding to one group per name, at the given weights."""
    lb = LoadBalancer(settings=settings)
    setup = Setup(lb, await lb.add_listener("production", 0), {})
    try:
        for name in groups:
            group = lb.add_target_group(
                name, FAST_HEALTH, deregistration_delay=deregistration_delay
            )
            setup.groups[name] = group
            setup.backends[name] = [await Backend(name).start() for _ in range(per_group)]
            for backend in setup.backends[name]:
                group.register("127.0.0.1", backend.port)
        setup.listener.set_weights(groups)
        if healthy and groups:
            await wait_for(lambda: all(g.healthy_count == per_group for g in setup.groups.values()))
        yield setup
    finally:
        await lb.close()
        for backends in setup.backends.values():
            for backend in backends:
                await backend.stop()


@dataclass
class Response:
    status: int
    headers: dict[bytes, bytes]
    body: bytes


async def exchange_raw(port: int, data: bytes, timeout: float = 5.0) -> bytes:
    """Send raw bytes, read until the proxy closes the connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        return await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()


def parse_responses(data: bytes) -> list[Response]:
    """Every HTTP response in `data`, as a client would read them."""
    responses: list[Response] = []

    class Collector:
        def on_message_begin(self) -> None:
            self.headers: dict[bytes, bytes] = {}
            self.body = b""

        def on_header(self, name: bytes, value: bytes) -> None:
            self.headers[name.lower()] = value

        def on_body(self, body: bytes) -> None:
            self.body += body

        def on_message_complete(self) -> None:
            responses.append(Response(parser.get_status_code(), self.headers, self.body))

    parser = httptools.HttpResponseParser(Collector())
    parser.feed_data(data)
    return responses


async def gather_all(calls: list[Awaitable[T]]) -> list[T]:
    return list(await asyncio.gather(*calls))
