"""The proxy's Python cost per request, without sockets: keep-alive GETs and
their responses pushed through `ClientConnection`s and `UpstreamConnection`s
with stand-in transports, 16 connections per loop iteration. For tuning the
hot path; `make bench` reports it too.

    python benchmarks/lb_hot_path.py [requests]
"""

from __future__ import annotations

import asyncio
import sys
import time

from bluegreen.lb.load_balancer import LoadBalancer, loop_factory
from bluegreen.lb.proxy import ClientConnection
from bluegreen.lb.target import TargetState
from bluegreen.lb.upstream import UpstreamConnection
from bluegreen.lb.write_batch import WriteBatch
from bluegreen.spec.config import HealthCheckConfig

CONNECTIONS = 16
REQUEST = b"GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n"
RESPONSE = (
    b"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Fri, 27 Nov 2026 18:30:00 GMT\r\n"
    b"Content-Type: text/plain\r\nContent-Length: 7\r\nConnection: keep-alive\r\n\r\ndirect\n"
)


class StandInTransport:
    def __init__(self) -> None:
        self.writes = 0

    def write(self, data: bytes) -> None:
        self.writes += 1

    def get_extra_info(self, name: str) -> tuple[str, int]:
        return ("127.0.0.1", 50000)

    def close(self) -> None:
        pass

    def is_closing(self) -> bool:
        return False


async def measure(requests: int) -> float:
    """`CONNECTIONS` clients, each with a request ready in every loop iteration,
    as under wrk's load: read them all, let the loop run once (the writes
    to the target go out then), then read every response."""
    lb = LoadBalancer()
    health = HealthCheckConfig(path="/", interval=3600, timeout=1)
    group = lb.add_target_group("blue", health, deregistration_delay=0)
    target = group.register("127.0.0.1", 9)
    group.set_state(target, TargetState.HEALTHY)
    listener = await lb.add_listener("production", 0)
    listener.set_weights({"blue": 100})
    writes = WriteBatch(asyncio.get_running_loop())
    clients = [ClientConnection(listener, lb.settings, writes) for _ in range(CONNECTIONS)]
    upstreams = [UpstreamConnection(target, writes) for _ in range(CONNECTIONS)]
    for client, upstream in zip(clients, upstreams, strict=True):
        client.connection_made(StandInTransport())  # type: ignore[arg-type]
        upstream.connection_made(StandInTransport())  # type: ignore[arg-type]
        upstream.reusable = True
        target.idle.append(upstream)
    best = float("inf")
    for _ in range(7):
        started = time.process_time()
        for _ in range(requests // CONNECTIONS):
            for client in clients:
                client.data_received(REQUEST)
            await asyncio.sleep(0)
            for upstream in upstreams:
                upstream.data_received(RESPONSE)
        best = min(best, time.process_time() - started)
    await lb.close()
    return best / (requests // CONNECTIONS * CONNECTIONS)


def main() -> None:
    requests = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        seconds = runner.run(measure(requests))
    print(f"{seconds * 1e6:.2f} µs of CPU per proxied request (best of 7 rounds of {requests})")


if __name__ == "__main__":
    main()
