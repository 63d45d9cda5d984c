"""Upgrade passthrough: a WebSocket echo through the proxy, and its end on drain."""

import asyncio

from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from bluegreen.lb.load_balancer import LoadBalancer
from bluegreen.spec.config import HealthCheckConfig

from .harness import run, wait_for

# websockets answers plain GETs with 426, which is all a probe needs here.
HEALTH = HealthCheckConfig(
    path="/", interval=0.02, timeout=0.015, healthy_threshold=2, matcher="200-499"
)
# A tunnel outlives the deregistration delay, up to the grace; the grace
# leaves the test ample time to show that, however busy the machine.
DELAY, GRACE = 0.05, 1.5


async def echo(connection: ServerConnection) -> None:
    async for message in connection:
        await connection.send(message)


def test_websocket_echo_through_the_proxy_lasts_the_upgrade_grace_of_a_drain() -> None:
    async def scenario() -> None:
        async with serve(echo, "127.0.0.1", 0) as server:
            port = next(iter(server.sockets)).getsockname()[1]
            lb = LoadBalancer()
            try:
                group = lb.add_target_group(
                    "ws", HEALTH, deregistration_delay=DELAY, upgrade_grace=GRACE
                )
                target = group.register("127.0.0.1", port)
                listener = await lb.add_listener("production", 0)
                listener.set_weights({"ws": 100})
                await wait_for(lambda: group.healthy_count == 1)
                async with connect(f"ws://127.0.0.1:{listener.port}/chat") as socket:
                    for message in ("hello", "x" * 100000, b"\x00\x01binary"):
                        await socket.send(message)
                        assert await socket.recv() == message
                    assert target.in_flight == 0 and len(target.tunnels) == 1
                    loop = asyncio.get_running_loop()
                    drain_started = loop.time()
                    draining = asyncio.create_task(group.deregister(target))
                    await wait_for(lambda: loop.time() > drain_started + DELAY)
                    assert not draining.done()  # the tunnel holds the drain in its grace
                    await socket.send("still open")
                    assert await socket.recv() == "still open"
                    await asyncio.wait_for(draining, GRACE + 2)
                    try:
                        await asyncio.wait_for(socket.recv(), 2)
                        raise AssertionError("tunnel outlived the drain")
                    except ConnectionClosed:
                        pass
            finally:
                await lb.close()

    run(scenario())
