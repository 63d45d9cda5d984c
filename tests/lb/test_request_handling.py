"""How the proxy reads what a client sends: what it answers, what it
refuses, and that a refused request never reaches a target.

A refused request is answered 400 after the valid requests before it (as
HAProxy does), a client that half-closes still gets its answers, and a
request whose Host or request line another parser could read differently
never goes on. Each assertion that nothing was forwarded sends one more
request afterwards: anything forwarded would have reached the backend
before the proxy even answered, so before that request.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bluegreen.lb.load_balancer import LoadBalancer
from bluegreen.lb.proxy_settings import (
    FILES_PER_CONNECTION,
    LISTENERS,
    RESERVED_FILES,
    ProxySettings,
    connection_capacity,
    open_file_limit,
    with_connection_limit,
)

from .harness import Setup, balancer, exchange_raw, parse_responses, run, wait_for

GET = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"


async def answered_then_nothing_more(setup: Setup, data: bytes) -> list[int]:
    """The statuses `data` gets, once the proxy has closed the connection;
    then proves the backend saw no request other than one sent after."""
    statuses = [r.status for r in parse_responses(await exchange_raw(setup.listener.port, data))]
    before = list(setup.backends["blue"][0].requests)
    after = await exchange_raw(setup.listener.port, b"GET /after HTTP/1.0\r\n\r\n")
    assert [r.status for r in parse_responses(after)] == [200]
    assert setup.backends["blue"][0].requests == [*before, (b"GET", b"/after")]
    return statuses


async def half_closed(port: int, data: bytes) -> bytes:
    """Send `data`, shut the sending side (SHUT_WR), read until the proxy closes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        writer.write_eof()
        return await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()


@pytest.mark.parametrize("valid", [1, 2])
def test_valid_requests_before_garbage_in_the_same_read_are_answered_then_400(valid: int) -> None:
    async def scenario() -> None:
        async with balancer({"blue": 100}) as setup:
            data = GET * valid + b"GARBAGE\x01 nonsense\r\n\r\n"
            statuses = await answered_then_nothing_more(setup, data)
            assert statuses == [200] * valid + [400]
            assert setup.backends["blue"][0].requests[:valid] == [(b"GET", b"/")] * valid

    run(scenario())


def test_a_request_refused_behind_one_still_waiting_for_its_answer_waits_its_turn() -> None:
    async def scenario() -> None:
        async with balancer({"blue": 100}) as setup:
            data = b"GET /sleep/50 HTTP/1.1\r\nHost: x\r\n\r\nGET  / HTTP/1.1\r\nHost: x\r\n\r\n"
            answer = parse_responses(await exchange_raw(setup.listener.port, data))
            assert [(r.status, r.body) for r in answer][:1] == [(200, b"blue")]
            assert [r.status for r in answer] == [200, 400]

    run(scenario())


@pytest.mark.parametrize("count", [1, 3])
def test_a_client_that_half_closes_after_its_requests_gets_every_answer(count: int) -> None:
    async def scenario() -> None:
        async with balancer({"blue": 100}) as setup:
            requests = b"".join(
                b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n%02d" % n
                for n in range(count)
            )
            answer = parse_responses(await half_closed(setup.listener.port, requests))
            expected = [(200, b"%02d" % n) for n in range(count)]
            assert [(r.status, r.body) for r in answer] == expected

    run(scenario())


def test_a_client_that_half_closes_inside_a_request_gets_the_earlier_answers_only() -> None:
    async def scenario() -> None:
        async with balancer({"blue": 100}) as setup:
            cut = b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc"
            answer = parse_responses(await half_closed(setup.listener.port, GET + cut))
            assert [(r.status, r.body) for r in answer] == [(200, b"blue")]

    run(scenario())


REFUSED = {
    "two_hosts": b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    "two_hosts_same": b"GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n",
    "no_host_http11": b"GET / HTTP/1.1\r\nX-Other: a\r\n\r\n",
    "no_host_keep_alive": b"GET / HTTP/1.1\r\nConnection: keep-alive\r\n\r\n",
    "connection_names_host": b"GET / HTTP/1.1\r\nHost: a\r\nConnection: Host\r\n\r\n",
    "connection_names_host_among_others": b"GET / HTTP/1.1\r\nHost: a\r\n"
    b"Connection: keep-alive, X-Foo, host\r\n\r\n",
    "host_with_a_path": b"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n",
    "host_with_a_space": b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
    "host_with_userinfo": b"GET / HTTP/1.1\r\nHost: user@a\r\n\r\n",
    "invalid_host_before_a_valid_one": b"GET / HTTP/1.1\r\nHost: a\xd0b\r\nHost: a\r\n\r\n",
    "upgrade_with_a_length": b"GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\n"
    b"Upgrade: websocket\r\nContent-Length: 5\r\n\r\nGET /",
    "upgrade_with_chunks": b"GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\n"
    b"Upgrade: websocket\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "two_spaces_before_target": b"GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
    "two_spaces_before_version": b"GET /  HTTP/1.1\r\nHost: a\r\n\r\n",
    "tab_as_separator": b"GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n",
    "non_ascii_target": b"GET /\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n",
    "lowercase_version": b"GET / http/1.1\r\nHost: a\r\n\r\n",
    "version_2": b"GET / HTTP/2.0\r\nHost: a\r\n\r\n",
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_a_bad_host_or_request_line_gets_400_and_reaches_no_backend(name: str) -> None:
    async def scenario() -> None:
        async with balancer({"blue": 100}) as setup:
            assert await answered_then_nothing_more(setup, REFUSED[name]) == [400]

    run(scenario())


def test_an_http10_request_without_host_is_forwarded_with_the_address_it_was_sent_to() -> None:
    async def scenario() -> None:
        async with balancer({"blue": 100}) as setup:
            answer = await exchange_raw(setup.listener.port, b"GET /headers HTTP/1.0\r\n\r\n")
            (response,) = parse_responses(answer)
            headers = json.loads(response.body)
            assert headers["host"] == f"127.0.0.1:{setup.listener.port}"
            assert headers["_names"].count("Host") == 1

    run(scenario())


@pytest.mark.parametrize(
    "head",
    [
        b"GET /headers HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n",  # empty: RFC 9110 7.2
        b"GET /headers HTTP/1.1\r\nHost: [::1]:8080\r\nConnection: close\r\n\r\n",
        b"GET /headers HTTP/1.0\r\nHost: example.com\r\n\r\n",
    ],
)
def test_a_valid_host_is_forwarded_as_it_came(head: bytes) -> None:
    async def scenario() -> None:
        async with balancer({"blue": 100}) as setup:
            (response,) = parse_responses(await exchange_raw(setup.listener.port, head))
            assert response.status == 200
            sent = head.split(b"Host:")[1].split(b"\r\n")[0].strip().decode()
            assert json.loads(response.body)["host"] == sent

    run(scenario())


@pytest.mark.parametrize("value", [b"3 ", b"\t3\t", b" 3", b"3  \t"])
def test_whitespace_around_a_content_length_is_legal(value: bytes) -> None:
    async def scenario() -> None:
        async with balancer({"blue": 100}) as setup:
            data = b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length:%s\r\n\r\nabc" % value
            answer = parse_responses(await half_closed(setup.listener.port, data))
            assert [(r.status, r.body) for r in answer] == [(200, b"abc")]

    run(scenario())


def test_a_client_past_max_connections_gets_503_with_retry_after_and_is_counted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def scenario() -> None:
        settings = ProxySettings(max_connections=2)
        async with balancer({"blue": 100}, settings=settings) as setup:
            port, listener = setup.listener.port, setup.listener
            held = [await asyncio.open_connection("127.0.0.1", port) for _ in range(2)]
            await wait_for(lambda: len(listener.connections) == 2)
            (busy,) = parse_responses(await exchange_raw(port, GET))
            assert (busy.status, busy.headers[b"retry-after"]) == (503, b"1")
            assert setup.backends["blue"][0].requests == []
            assert listener.refused == 1
            assert f"production (port {port}): at its max_connections (2)" in caplog.text
            metrics = setup.lb.metrics_text().decode()
            assert 'bluegreen_lb_listener_connections_refused_total{listener="production"} 1.0' in (
                metrics
            )
            held[0][1].close()
            await wait_for(lambda: len(listener.connections) == 1)
            again = await exchange_raw(port, b"GET / HTTP/1.0\r\n\r\n")
            assert [r.status for r in parse_responses(again)] == [200]
            for _, writer in held[1:]:
                writer.close()

    run(scenario())


def test_max_connections_defaults_to_what_the_open_file_limit_leaves_room_for() -> None:
    capacity = connection_capacity(open_file_limit())
    assert with_connection_limit(ProxySettings()).max_connections == capacity
    assert capacity * FILES_PER_CONNECTION * LISTENERS + RESERVED_FILES <= open_file_limit()
    with pytest.raises(ValueError, match=f"RLIMIT_NOFILE is {open_file_limit()}"):
        LoadBalancer(settings=ProxySettings(max_connections=capacity + 1))


LOW_LIMIT_SERVER = """
import asyncio, resource, sys
resource.setrlimit(resource.RLIMIT_NOFILE, (256, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
from bluegreen.lb.load_balancer import LoadBalancer
from tests.apps.lb_backend import Backend
from tests.lb.harness import FAST_HEALTH

async def main():
    lb = LoadBalancer()
    backend = await Backend("blue").start()
    group = lb.add_target_group("blue", FAST_HEALTH, deregistration_delay=0.1)
    group.register("127.0.0.1", backend.port)
    listener = await lb.add_listener("production", 0)
    listener.set_weights({"blue": 100})
    print(listener.port, listener.max_connections, flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


CLIENTS = 300


async def one_answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """The status and headers of one response with a Content-Length, its body read."""
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
    await reader.readexactly(length)
    return int(head.split(b" ")[1]), head


def test_with_a_low_open_file_limit_clients_past_the_limit_get_503_the_rest_are_served() -> None:
    """Without a limit, the 300 clients below use up the 256 open files of
    that process, and the last ones wait in vain: accept() fails with
    EMFILE."""
    server = subprocess.Popen(
        [sys.executable, "-c", LOW_LIMIT_SERVER],
        stdout=subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert server.stdout is not None
        port, limit = map(int, server.stdout.readline().split())
        assert limit == connection_capacity(256)
        run(clients_against_the_limit(port, limit))
    finally:
        server.kill()
        server.wait()


async def clients_against_the_limit(port: int, limit: int) -> None:
    await until_served(port)  # the target is healthy
    held, statuses = [], []
    for _ in range(CLIENTS):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(GET)
        status, head = await one_answer(reader)
        statuses.append(status)
        if status == 200:
            held.append(writer)
        else:
            assert b"Retry-After: 1" in head
            writer.close()
    assert statuses == [200] * limit + [503] * (CLIENTS - limit)
    for writer in held:
        writer.close()
    await until_served(port)  # once the load balancer has seen them close


async def until_served(port: int, timeout: float = 10.0) -> None:
    """Until a request through `port` is answered 200 by the target."""
    statuses: list[int] = []

    async def served() -> bool:
        answer = parse_responses(await exchange_raw(port, b"GET / HTTP/1.0\r\n\r\n"))
        statuses.extend(r.status for r in answer)
        return bool(answer) and answer[0].status == 200

    deadline = asyncio.get_running_loop().time() + timeout
    while not await served():
        assert asyncio.get_running_loop().time() < deadline, f"never served: {statuses[-5:]}"
        await asyncio.sleep(0.02)
