"""Draining: a deregistered target finishes what it has and gets nothing new."""

import asyncio
import time

import httpx

from bluegreen.lb.load_balancer import LoadBalancer
from bluegreen.lb.target import TargetState

from .harness import FAST_HEALTH, balancer, run, wait_for


async def load(url: str, path: str, stop: asyncio.Event, answers: list[tuple[int, str]]) -> None:
    async with httpx.AsyncClient(base_url=url) as client:
        while not stop.is_set():
            response = await client.get(path)
            answers.append((response.status_code, response.text))


def test_draining_under_load_loses_no_request() -> None:
    async def scenario() -> None:
        async with balancer({"web": 100}, per_group=2, deregistration_delay=2.0) as setup:
            group = setup.groups["web"]
            leaving, staying = group.targets
            stop, answers = asyncio.Event(), []  # type: ignore[var-annotated]
            workers = [
                asyncio.create_task(load(setup.url, "/sleep/20", stop, answers)) for _ in range(8)
            ]
            await wait_for(lambda: leaving.in_flight > 0 and len(answers) > 20)
            drained = group.begin_drain(leaving)  # DRAINING at once, before any await
            assert leaving.state is TargetState.DRAINING
            before = len(setup.backends["web"][0].requests) + len(setup.backends["web"][1].requests)
            await drained
            served_after = len(answers)
            await wait_for(lambda: len(answers) > served_after + 20)
            stop.set()
            await asyncio.gather(*workers)
            assert {status for status, _ in answers} == {200}
            assert leaving.state is TargetState.UNUSED and group.targets == [staying]
            assert before > 0 and leaving.in_flight == 0

    run(scenario())


def test_drain_finishes_early_once_in_flight_requests_are_done() -> None:
    async def scenario() -> None:
        async with balancer({"web": 100}, deregistration_delay=10.0) as setup:
            group = setup.groups["web"]
            async with httpx.AsyncClient(base_url=setup.url) as client:
                slow = asyncio.create_task(client.get("/sleep/100"))
                await wait_for(lambda: group.targets[0].in_flight == 1)
                started = time.monotonic()
                await group.deregister(group.targets[0])
                assert time.monotonic() - started < 5  # well below the 10 s delay
                assert (await slow).status_code == 200

    run(scenario())


def test_request_outlasting_the_deregistration_delay_is_cut() -> None:
    async def scenario() -> None:
        async with balancer({"web": 100}, deregistration_delay=0.05) as setup:
            group = setup.groups["web"]
            async with httpx.AsyncClient(base_url=setup.url) as client:
                slow = asyncio.create_task(client.post("/sleep/3000", content=b"x"))
                await wait_for(lambda: group.targets[0].in_flight == 1)
                await asyncio.wait_for(group.deregister(group.targets[0]), 2)
                assert (await slow).status_code == 502
            assert group.targets == []
            async with httpx.AsyncClient(base_url=setup.url) as client:
                assert (await client.get("/")).status_code == 503

    run(scenario())


def test_a_request_is_cut_at_the_deregistration_delay_not_at_the_upgrade_grace() -> None:
    grace = 60.0  # only upgraded connections may stay this long

    async def scenario() -> None:
        async with balancer({"web": 100}, deregistration_delay=0.05) as setup:
            group = setup.groups["web"]
            group.upgrade_grace = grace
            async with httpx.AsyncClient(base_url=setup.url, timeout=grace) as client:
                slow = asyncio.create_task(client.post("/sleep/100000", content=b"x"))
                await wait_for(lambda: group.targets[0].in_flight == 1)
                draining = group.begin_drain(group.targets[0])
                assert (await asyncio.wait_for(slow, grace / 2)).status_code == 502
                await asyncio.wait_for(draining, grace / 2)  # no tunnel holds it

    run(scenario())


async def endless_stream(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A target whose /stream answers with a chunked body that never ends."""
    while (head := await reader.readuntil(b"\r\n\r\n")).startswith(b"GET /health"):
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    assert head.startswith(b"GET /stream")
    writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
    await reader.read()  # until the proxy closes


def test_a_target_serving_only_streams_is_answered_at_once_its_requests_with_an_end_not() -> None:
    """`answered` is when the task may be told to stop: not before a finite request
    is done, at once when only a stream is left (the app ends that itself)."""
    delay = 60.0  # what ECS would wait for before telling the task

    async def scenario() -> None:
        async with balancer({"web": 100}, deregistration_delay=delay) as setup:
            group = setup.groups["web"]
            target = group.targets[0]
            async with httpx.AsyncClient(base_url=setup.url) as client:
                slow = asyncio.create_task(client.get("/sleep/300"))
                await wait_for(lambda: target.in_flight == 1)
                drained = group.begin_drain(target)
                await asyncio.wait_for(target.answered.wait(), delay / 2)
                assert target.in_flight == 0  # the finite request was waited for
                assert (await slow).status_code == 200
                await asyncio.wait_for(drained, delay / 2)

        server = await asyncio.start_server(endless_stream, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        lb = LoadBalancer()
        try:
            group = lb.add_target_group("s", FAST_HEALTH, deregistration_delay=delay)
            target = group.register("127.0.0.1", port)
            listener = await lb.add_listener("production", 0)
            listener.set_weights({"s": 100})
            await wait_for(lambda: group.healthy_count == 1)
            reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
            writer.write(b"GET /stream HTTP/1.1\r\nHost: s\r\n\r\n")
            assert b"hello" in await reader.readuntil(b"hello")
            group.begin_drain(target)
            await asyncio.wait_for(target.answered.wait(), delay / 2)
            assert target.in_flight == 1  # the stream is still open
            writer.close()
        finally:
            await lb.close()
            server.close()

    run(scenario())
