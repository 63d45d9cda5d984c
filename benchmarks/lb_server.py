"""bluegreen's load balancer as a standalone process, for the benchmarks.

    python benchmarks/lb_server.py --port 0 --group blue=127.0.0.1:8001 \
        --group green=127.0.0.1:8002 --weights blue=100,green=0

Prints its port once every target is healthy, then reads commands from
stdin, one a line: `weights blue=0,green=100`. Answers `ok` to each.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from bluegreen.lb.load_balancer import LoadBalancer, loop_factory
from bluegreen.spec.config import HealthCheckConfig

HEALTH = HealthCheckConfig(
    path="/health", interval=0.25, timeout=0.2, healthy_threshold=2, unhealthy_threshold=2
)


def pairs(text: str) -> dict[str, str]:
    return dict(item.split("=", 1) for item in text.split(",") if item)


async def serve(port: int, groups: list[str], weights: str) -> None:
    lb = LoadBalancer()
    for spec in groups:
        name, _, addresses = spec.partition("=")
        group = lb.add_target_group(name, HEALTH, deregistration_delay=1.0)
        for address in addresses.split(","):
            host, _, target_port = address.rpartition(":")
            group.register(host, int(target_port))
    listener = await lb.add_listener("production", port)
    listener.set_weights({k: int(v) for k, v in pairs(weights).items()})
    while not all(g.healthy_count == len(g.targets) for g in lb.groups.values()):
        await asyncio.sleep(0.05)
    print(listener.port, flush=True)
    loop = asyncio.get_running_loop()
    while line := await loop.run_in_executor(None, sys.stdin.readline):
        command, _, argument = line.strip().partition(" ")
        if command == "weights":
            listener.set_weights({k: int(v) for k, v in pairs(argument).items()})
        print("ok", flush=True)
    await lb.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--group", action="append", default=[])
    parser.add_argument("--weights", default="")
    args = parser.parse_args()
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        runner.run(serve(args.port, args.group, args.weights))


if __name__ == "__main__":
    main()
