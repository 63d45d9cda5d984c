"""The proxy's Python cost per request, without sockets: one keep-alive GET
and its response pushed through `ClientConnection` and `UpstreamConnection`
with stand-in transports. For tuning the hot path; `make bench` reports it too.

    python benchmarks/lb_hot_path.py [requests]
"""

from __future__ import annotations

import asyncio
import sys
import time

from bluegreen.local.load_balancer import LoadBalancer, loop_factory
from bluegreen.local.proxy import ClientConnection
from bluegreen.local.target import TargetState
from bluegreen.local.upstream import UpstreamConnection
from bluegreen.spec.config import HealthCheckConfig

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


async def measure(requests: int) -> float:
    lb = LoadBalancer()
    health = HealthCheckConfig(path="/", interval=3600, timeout=1)
    group = lb.add_target_group("blue", health, deregistration_delay=0)
    target = group.register("127.0.0.1", 9)
    group.set_state(target, TargetState.HEALTHY)
    listener = await lb.add_listener("production", 0)
    listener.set_weights({"blue": 100})
    client = ClientConnection(listener, lb.settings)
    client.connection_made(StandInTransport())  # type: ignore[arg-type]
    upstream = UpstreamConnection(target)
    upstream.connection_made(StandInTransport())  # type: ignore[arg-type]
    upstream.reusable = True
    target.idle.append(upstream)
    best = float("inf")
    for _ in range(7):
        started = time.process_time()
        for _ in range(requests):
            client.data_received(REQUEST)
            upstream.data_received(RESPONSE)
        best = min(best, time.process_time() - started)
    await lb.close()
    return best / requests


def main() -> None:
    requests = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        seconds = runner.run(measure(requests))
    print(f"{seconds * 1e6:.2f} µs of CPU per proxied request (best of 7 rounds of {requests})")


if __name__ == "__main__":
    main()
