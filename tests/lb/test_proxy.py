import asyncio
import contextlib
import json

import httpx
import pytest

from bluegreen.lb.proxy_settings import ProxySettings

from .harness import balancer, exchange_raw, parse_responses, run, wait_for

SMUGGLING = {
    "cl_and_te": b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
    "te_and_cl": b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
    b"Content-Length: 4\r\n\r\n5c\r\nGET /smuggled HTTP/1.1\r\n\r\n0\r\n\r\n",
    "two_lengths": b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
    b"Content-Length: 40\r\n\r\nabc",
    "same_length_twice": b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
    b"Content-Length: 3\r\n\r\nabc",
    "length_not_a_number": b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3x\r\n\r\nabc",
    "negative_length": b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: -3\r\n\r\nabc",
    "bad_chunk_size": b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"zz\r\nabc\r\n0\r\n\r\n",
    "te_not_chunked": b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nabc",
    "te_obfuscated": b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n"
    b"0\r\n\r\n",
    "space_before_colon": b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length : 3\r\n\r\nabc",
    "oversize_head": b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n",
}


@pytest.mark.parametrize("name", sorted(SMUGGLING))
def test_smuggling_attempt_gets_400_and_reaches_no_backend(name: str) -> None:
    async def scenario() -> None:
        async with balancer({"blue": 100}) as setup:
            answer = await exchange_raw(setup.listener.port, SMUGGLING[name])
            responses = parse_responses(answer)
            assert [r.status for r in responses] == [400]
            assert responses[0].headers[b"connection"] == b"close"
            # Anything forwarded would have reached the backend before the 400
            # was written, so before this request was even sent.
            after = await exchange_raw(setup.listener.port, b"GET /after HTTP/1.0\r\n\r\n")
            assert [r.status for r in parse_responses(after)] == [200]
            assert setup.backends["blue"][0].requests == [(b"GET", b"/after")]

    run(scenario())


def test_large_bodies_stream_both_ways() -> None:
    async def scenario() -> None:
        async with balancer({"blue": 100}) as setup:
            payload = bytes(range(256)) * 40000  # 10 MB
            async with httpx.AsyncClient(base_url=setup.url) as client:
                echoed = await client.post("/echo", content=payload)
                downloaded = await client.get("/bytes/20000000")
            assert echoed.content == payload
            assert len(downloaded.content) == 20_000_000

    run(scenario())


def test_request_body_reaches_the_target_before_the_client_finished_sending() -> None:
    async def scenario() -> None:
        async with balancer({"blue": 100}) as setup:
            backend = setup.backends["blue"][0]
            reader, writer = await asyncio.open_connection("127.0.0.1", setup.listener.port)
            writer.write(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n")
            writer.write(b"a" * 100000)
            await wait_for(lambda: backend.body_bytes == 100000)
            writer.write(b"b" * 100000)
            head = await reader.readuntil(b"\r\n\r\n")
            body = await reader.readexactly(200000)
            writer.close()
            assert head.startswith(b"HTTP/1.1 200") and body == b"a" * 100000 + b"b" * 100000

    run(scenario())


def test_chunked_request_is_forwarded_chunked() -> None:
    async def scenario() -> None:
        async with balancer({"blue": 100}) as setup:

            async def parts():  # type: ignore[no-untyped-def]
                for piece in (b"hello ", b"chunked ", b"world"):
                    yield piece

            async with httpx.AsyncClient(base_url=setup.url) as client:
                response = await client.post("/echo", content=parts())
            assert response.content == b"hello chunked world"

    run(scenario())


def test_http10_client_gets_a_closed_delimited_body_and_forwarded_headers() -> None:
    async def scenario() -> None:
        async with balancer({"blue": 100}) as setup:
            answer = await exchange_raw(
                setup.listener.port,
                b"GET /headers HTTP/1.0\r\nConnection: keep-alive, X-Secret\r\n"
                b"X-Secret: 1\r\nKeep-Alive: 5\r\nX-Forwarded-For: 10.0.0.1\r\n\r\n"
                b"GET /bytes/100000 HTTP/1.0\r\n\r\n",
            )
            first = parse_responses(answer)[0]  # the second ends with the connection
            second_head, _, second_body = (
                answer.partition(b"HTTP/1.1 200")[2]
                .partition(b"HTTP/1.1 200")[2]
                .partition(b"\r\n\r\n")
            )
            seen = json.loads(first.body)
            assert seen["x-forwarded-for"] == "10.0.0.1, 127.0.0.1"
            assert seen["x-forwarded-proto"] == "http"
            assert seen["x-forwarded-port"] == str(setup.listener.port)
            assert "x-secret" not in seen and "keep-alive" not in seen
            assert first.headers[b"connection"] == b"keep-alive"
            assert second_body == b"x" * 100000
            assert b"transfer-encoding" not in second_head.lower()

    run(scenario())


def test_pipelined_requests_are_answered_in_order() -> None:
    async def scenario() -> None:
        async with balancer({"blue": 100}) as setup:
            requests = b"".join(
                b"GET /sleep/%d HTTP/1.1\r\nHost: x\r\n\r\n" % ms for ms in (30, 1, 10)
            )
            last = b"GET /status/201 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            answer = await exchange_raw(setup.listener.port, requests + last)
            assert [r.status for r in parse_responses(answer)] == [200, 200, 200, 201]
            paths = [path for _, path in setup.backends["blue"][0].requests]
            assert paths == [b"/sleep/30", b"/sleep/1", b"/sleep/10", b"/status/201"]

    run(scenario())


def test_head_response_has_a_length_but_no_body_and_keeps_the_connection() -> None:
    async def scenario() -> None:
        async with balancer({"blue": 100}) as setup:
            async with httpx.AsyncClient(base_url=setup.url) as client:
                head = await client.head("/")
                after = await client.get("/")
            assert head.headers["content-length"] == "4" and head.content == b""
            assert after.text == "blue"

    run(scenario())


def test_body_above_max_body_gets_413_and_no_backend_request() -> None:
    async def scenario() -> None:
        async with balancer({"blue": 100}, settings=ProxySettings(max_body=1000)) as setup:
            async with httpx.AsyncClient(base_url=setup.url) as client:
                small = await client.post("/echo", content=b"a" * 1000)
                large = await client.post("/echo", content=b"a" * 1001)
            assert small.status_code == 200 and large.status_code == 413
            assert len(setup.backends["blue"][0].requests) == 1

    run(scenario())


SLOW_CLIENTS = {
    "head": (ProxySettings(header_timeout=0.05), b"GET / HTTP/1.1\r\nHost: x\r\n", 408),
    "body": (
        ProxySettings(body_timeout=0.05),
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc",
        408,
    ),
    "idle": (ProxySettings(idle_timeout=0.05), b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 200),
}


@pytest.mark.parametrize("case", sorted(SLOW_CLIENTS))
def test_slow_or_idle_client_is_cut_off_by_its_timeout(case: str) -> None:
    settings, sent, status = SLOW_CLIENTS[case]

    async def scenario() -> None:
        async with balancer({"blue": 100}, settings=settings) as setup:
            answer = await exchange_raw(setup.listener.port, sent, timeout=2)
            assert [r.status for r in parse_responses(answer)] == [status]
            completed = len(setup.backends["blue"][0].requests)
            assert completed == (1 if case == "idle" else 0)

    run(scenario())


@pytest.mark.parametrize("path", ["/hop", "/hop/timeout", "/split-head"])
def test_hop_by_hop_response_headers_are_dropped_and_the_rest_passed_through(path: str) -> None:
    async def scenario() -> None:
        async with balancer({"blue": 100}) as setup:
            answer = await exchange_raw(
                setup.listener.port,
                b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n"
                b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % path.encode(),
            )
            first, second = parse_responses(answer)
            assert (first.status, first.body, first.headers[b"x-app"]) == (200, b"ok", b"1")
            # The target's `Connection: keep-alive` may stay: it is true of the client's too.
            assert first.headers.get(b"connection", b"keep-alive") == b"keep-alive"
            assert b"keep-alive" not in first.headers
            assert second.body == b"blue"

    run(scenario())


def test_request_passed_through_keeps_header_case_and_gains_forwarded_headers() -> None:
    async def scenario() -> None:
        settings = ProxySettings(idle_timeout=0.05)  # closes the connection for us
        async with balancer({"blue": 100}, settings=settings) as setup:
            answer = await exchange_raw(
                setup.listener.port, b"GET /headers HTTP/1.1\r\nHost: x\r\nX-Mixed-CASE: v\r\n\r\n"
            )
            seen = json.loads(parse_responses(answer)[0].body)
            assert seen["_names"][:2] == ["Host", "X-Mixed-CASE"]
            assert seen["_names"][-3:] == [
                "X-Forwarded-For",
                "X-Forwarded-Proto",
                "X-Forwarded-Port",
            ]
            assert seen["x-forwarded-for"] == "127.0.0.1"

    run(scenario())


def test_slow_client_pauses_the_target_and_its_connection_serves_again_after() -> None:
    async def scenario() -> None:
        settings = ProxySettings(request_timeout=2.0)
        async with balancer({"blue": 100}, settings=settings) as setup:
            reader, writer = await asyncio.open_connection("127.0.0.1", setup.listener.port)
            writer.write(b"GET /bytes/8000000 HTTP/1.1\r\nHost: x\r\n\r\n")
            await asyncio.sleep(0.3)  # not reading: the proxy has to pause the target
            head = await reader.readuntil(b"\r\n\r\n")
            body = 0
            while not (chunk := await reader.read(1 << 20)).endswith(b"0\r\n\r\n"):
                body += len(chunk)
            writer.close()
            async with httpx.AsyncClient(base_url=setup.url) as client:
                after = [(await client.get("/")).status_code for _ in range(3)]
            assert head.startswith(b"HTTP/1.1 200") and body > 7_000_000
            assert after == [200, 200, 200]

    run(scenario())


def test_response_ended_by_close_is_rechunked_for_an_http11_client() -> None:
    async def scenario() -> None:
        async with balancer({"blue": 100}) as setup:
            async with httpx.AsyncClient(base_url=setup.url) as client:
                ended_by_close = await client.post("/close", content=b"until the end")
                after = await client.get("/")
            assert ended_by_close.headers["transfer-encoding"] == "chunked"
            assert ended_by_close.content == b"until the end"
            assert after.text == "blue"

    run(scenario())


@pytest.mark.parametrize("path", [b"/continue", b"/continue/split"])
def test_informational_response_is_passed_on_before_the_final_one(path: bytes) -> None:
    async def scenario() -> None:
        async with balancer({"blue": 100}) as setup:
            answer = await exchange_raw(
                setup.listener.port,
                b"GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % path,
            )
            assert answer.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 X\r\n")
            assert [(r.status, r.body) for r in parse_responses(answer)][-1] == (
                200,
                b"after continue",
            )

    run(scenario())


async def send_in_pieces(port: int, data: bytes, size: int) -> bytes:
    """Send `data` `size` bytes at a time, each its own read at the proxy,
    until the proxy answers; then read until it closes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    answer = b""
    try:
        for start in range(0, len(data), size):
            writer.write(data[start : start + size])
            await writer.drain()
            with contextlib.suppress(TimeoutError):
                answer = await asyncio.wait_for(reader.read(65536), 0.002)
            if answer:
                break
        return answer + await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()


def test_a_request_head_split_over_many_reads_is_passed_through_whole() -> None:
    async def scenario() -> None:
        settings = ProxySettings(idle_timeout=0.3)  # closes the connection for us
        async with balancer({"blue": 100}, settings=settings) as setup:
            head = b"\r\nGET /headers HTTP/1.1\r\nHost: x\r\nX-Mixed-CASE: v\r\n\r\n"
            answer = await send_in_pieces(setup.listener.port, head, 3)
            seen = json.loads(parse_responses(answer)[0].body)
            assert seen["_names"] == [
                "Host", "X-Mixed-CASE", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Port"
            ]  # fmt: skip

    run(scenario())


def test_pipelined_requests_after_bodies_are_found_and_answered_in_order() -> None:
    async def scenario() -> None:
        async with balancer({"blue": 100}) as setup:
            requests = (
                b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                b"GET /headers HTTP/1.1\r\nHost: x\r\nX-Mixed-CASE: v\r\n\r\n"
                b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nde"
                b"GET /status/201 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            )
            responses = parse_responses(await exchange_raw(setup.listener.port, requests))
            assert [r.status for r in responses] == [200, 200, 200, 201]
            assert (responses[0].body, responses[2].body) == (b"abc", b"de")
            assert json.loads(responses[1].body)["x-mixed-case"] == "v"

    run(scenario())


def test_a_request_pipelined_behind_a_chunked_body_closes_the_connection_unanswered() -> None:
    """Where it starts is hidden by the chunk sizes: the one before is
    answered, then the connection closed, and the client retries it."""

    async def scenario() -> None:
        async with balancer({"blue": 100}) as setup:
            requests = (
                b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"3\r\nabc\r\n0\r\n\r\nGET /status/201 HTTP/1.1\r\nHost: x\r\n\r\n"
            )
            responses = parse_responses(await exchange_raw(setup.listener.port, requests))
            assert [(r.status, r.body) for r in responses] == [(200, b"abc")]
            assert setup.backends["blue"][0].requests == [(b"POST", b"/echo")]

    run(scenario())


def test_a_head_above_max_header_bytes_over_many_reads_gets_400() -> None:
    async def scenario() -> None:
        settings = ProxySettings(max_header_bytes=4096)
        async with balancer({"blue": 100}, settings=settings) as setup:
            head = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 6000 + b"\r\n\r\n"
            responses = parse_responses(await send_in_pieces(setup.listener.port, head, 1000))
            assert [r.status for r in responses] == [400]
            assert setup.backends["blue"][0].requests == []

    run(scenario())


def test_a_rebuilt_head_with_more_headers_than_max_headers_gets_400() -> None:
    async def scenario() -> None:
        settings = ProxySettings(max_headers=5)
        async with balancer({"blue": 100}, settings=settings) as setup:
            extra = b"".join(b"X-%d: v\r\n" % n for n in range(5))
            head = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n" + extra + b"\r\n"
            responses = parse_responses(await exchange_raw(setup.listener.port, head))
            assert [r.status for r in responses] == [400]
            assert setup.backends["blue"][0].requests == []

    run(scenario())
