"""502 / 503 / 504, and the retries that keep them away."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from bluegreen.lb.proxy_settings import ProxySettings
from bluegreen.lb.target import TargetState
from bluegreen.spec.config import HealthCheckConfig

from .harness import FAST_HEALTH, balancer, run, wait_for

ROOT = Path(__file__).resolve().parents[2]
SLOW_HEALTH = HealthCheckConfig(path="/health", interval=10, timeout=1)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def hanging_up_server() -> AsyncIterator[list[bytes]]:
    """Reads a request, then closes without answering: a target dying mid-request."""
    seen: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await reader.readuntil(b"\r\n\r\n"))
        writer.transport.abort()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    seen.append(str(server.sockets[0].getsockname()[1]).encode())
    try:
        yield seen
    finally:
        server.close()
        await server.wait_closed()


def test_group_without_targets_answers_503_counted_as_proxy_error() -> None:
    async def scenario() -> None:
        async with balancer({"blue": 100}) as setup:
            setup.lb.add_target_group("empty", FAST_HEALTH, deregistration_delay=0)
            setup.listener.set_weights({"empty": 100})
            async with httpx.AsyncClient(base_url=setup.url) as client:
                assert (await client.get("/")).status_code == 503
            snapshot = setup.groups_metrics("empty")
            assert (snapshot.requests, snapshot.proxy_errors) == (1, 1)

    run(scenario())


def test_slow_target_answers_504_and_app_5xx_is_not_a_proxy_error() -> None:
    async def scenario() -> None:
        settings = ProxySettings(request_timeout=0.05)
        async with balancer({"blue": 100}, settings=settings) as setup:
            async with httpx.AsyncClient(base_url=setup.url) as client:
                assert (await client.get("/sleep/1000")).status_code == 504
                assert (await client.get("/status/500")).status_code == 500
                assert (await client.get("/")).status_code == 200
            counted = set(setup.groups["blue"].metrics.totals().by_result())
            assert counted == {("5xx", "proxy", 1), ("5xx", "app", 1), ("2xx", "app", 1)}

    run(scenario())


def test_refused_connect_is_retried_on_another_target() -> None:
    async def scenario() -> None:
        async with balancer({"blue": 100}) as setup:
            group = setup.groups["blue"]
            dead = group.register("127.0.0.1", closed_port())
            group.set_state(dead, TargetState.HEALTHY)  # died since its last check
            async with httpx.AsyncClient(base_url=setup.url) as client:
                bodies = [b"x%d" % n * 100 for n in range(20)]
                posts = [await client.post("/echo", content=body) for body in bodies]
            assert [(r.status_code, r.content) for r in posts] == [(200, b) for b in bodies]
            assert dead.state is TargetState.UNHEALTHY  # taken out without waiting for probes

    run(scenario())


def test_only_target_refusing_gives_502() -> None:
    async def scenario() -> None:
        async with balancer({"blue": 100}) as setup:
            group = setup.lb.add_target_group("dead", FAST_HEALTH, deregistration_delay=0)
            group.register("127.0.0.1", closed_port())
            setup.listener.set_weights({"dead": 100})
            async with httpx.AsyncClient(base_url=setup.url) as client:
                assert (await client.get("/")).status_code == 502

    run(scenario())


def test_idempotent_request_is_retried_when_the_target_hangs_up_but_post_is_not() -> None:
    async def scenario() -> None:
        async with balancer({"blue": 100}) as setup, hanging_up_server() as seen:
            group = setup.lb.add_target_group("mixed", SLOW_HEALTH, deregistration_delay=0)
            good = group.register("127.0.0.1", setup.backends["blue"][0].port)
            dying = group.register("127.0.0.1", int(seen.pop(0)))
            for target in (good, dying):  # set by hand: the probes are 10 s apart
                group.set_state(target, TargetState.HEALTHY)
            setup.listener.set_weights({"mixed": 100})
            async with httpx.AsyncClient(base_url=setup.url) as client:
                gets = [(await client.get("/")).status_code for _ in range(10)]
                group.set_state(good, TargetState.UNHEALTHY)
                post = await client.post("/echo", content=b"once")
            assert gets == [200] * 10
            assert len(seen) >= 5  # the dying target did get (and lose) requests
            assert post.status_code == 502
            assert seen[-1].startswith(b"POST /echo")
            assert setup.backends["blue"][0].requests.count((b"POST", b"/echo")) == 0

    run(scenario())


def start_backend_process(name: str) -> tuple[subprocess.Popen[str], int]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.apps.lb_backend", "--name", name],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    return process, int(process.stdout.readline())


def test_target_killed_with_sigkill_in_rotation_loses_no_get_request() -> None:
    processes = [start_backend_process(name) for name in ("one", "two")]

    async def load(url: str, stop: asyncio.Event, statuses: list[int]) -> None:
        async with httpx.AsyncClient(base_url=url) as client:
            while not stop.is_set():
                statuses.append((await client.get("/sleep/5")).status_code)

    async def scenario() -> None:
        async with balancer({}) as setup:
            group = setup.lb.add_target_group("web", FAST_HEALTH, deregistration_delay=0)
            for _, port in processes:
                group.register("127.0.0.1", port)
            setup.listener.set_weights({"web": 100})
            await wait_for(lambda: group.healthy_count == 2)
            stop, statuses = asyncio.Event(), []  # type: ignore[var-annotated]
            workers = [asyncio.create_task(load(setup.url, stop, statuses)) for _ in range(8)]
            await wait_for(lambda: len(statuses) > 100)
            os.kill(processes[0][0].pid, signal.SIGKILL)
            killed_at = len(statuses)
            await wait_for(lambda: len(statuses) > killed_at + 200)
            stop.set()
            await asyncio.gather(*workers)
            assert set(statuses) == {200}
            assert group.targets[0].state is TargetState.UNHEALTHY  # the killed one

    try:
        run(scenario())
    finally:
        for process, _ in processes:
            process.kill()
            process.wait()
            assert process.stdout is not None
            process.stdout.close()
