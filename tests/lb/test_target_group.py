"""Draining: a deregistered target finishes what it has and gets nothing new."""

import asyncio
import time

import httpx

from bluegreen.lb.target import TargetState

from .harness import balancer, run, wait_for


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
            drained = asyncio.create_task(group.deregister(leaving))
            await wait_for(lambda: leaving.state is TargetState.DRAINING)
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
