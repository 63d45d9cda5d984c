"""Upgrade and CONNECT requests: nothing after such a head reaches a target
before it has agreed to switch protocols.

These are the exact sequences of a response desync: a WebSocket upgrade
with a second request pipelined behind it in the same write. Were those
bytes forwarded at once, a target that refuses the upgrade would answer
them as a second request the proxy never parsed, on a connection that then
went back to the pool, and the next client would get that answer.
"""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import cast

import httptools
import pytest

from bluegreen.lb.load_balancer import LoadBalancer
from bluegreen.lb.proxy_settings import ProxySettings
from bluegreen.spec.config import HealthCheckConfig

from .harness import Response, parse_responses, run, wait_for

UPGRADE = (
    b"GET /chat HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)
SECRET = b"GET /secret HTTP/1.1\r\nHost: x\r\n\r\n"
MINE = b"GET /mine HTTP/1.1\r\nHost: x\r\n\r\n"
HEALTH = HealthCheckConfig(path="/health", interval=0.05, timeout=0.04, healthy_threshold=2)
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "flask-app"
GUNICORN = Path(sys.executable).parent / "gunicorn"


class AppConnection(asyncio.Protocol):
    """One connection to `App`: answers every request it parses, in order,
    each with its path as the body, on a keep-alive connection. An upgrade
    is refused with `refuse` or, when that is None, accepted with a 101,
    after which every byte is echoed back as tunnel data; a CONNECT is
    answered 200 and tunnelled the same way."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.url = b""
        self.tunnel = False
        self.paths: list[bytes] = []  # of this connection, in order
        self.answers: list[bytes | None] = []  # in request order; None: not ready yet
        self.sent = 0
        app.connections.append(self.paths)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        if self.tunnel:
            self.write(data)
            return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade as upgrade:
            rest = data[upgrade.args[0] :]
            # What came with the upgrade's head, before any answer to it:
            # nothing, if the proxy waits as it should.
            self.app.early.append(rest)
            if self.parser.get_method() == b"CONNECT":
                self.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                self.tunnel = True
                if rest:
                    self.write(rest)
            elif self.app.refuse is None:
                self.write(b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n")
                self.write(b"Upgrade: websocket\r\n\r\n")
                self.tunnel = True
                if rest:
                    self.write(rest)
            else:
                self.answer(len(self.answers), self.app.refuse, b"/chat refused")
                self.parser = httptools.HttpRequestParser(self)
                if rest:
                    self.data_received(rest)

    def on_url(self, url: bytes) -> None:
        self.url = url

    def on_message_complete(self) -> None:
        path, turn = self.url, len(self.answers)
        if path == b"/health":
            self.answer(turn, 200, b"ok")
            return
        self.paths.append(path)
        if path == b"/secret":  # a slow answer: the next client's request comes first
            self.answers.append(None)
            asyncio.get_running_loop().call_later(0.3, self.answer, turn, 200, path)
        elif path != b"/chat" and self.parser.get_method() != b"CONNECT":  # see data_received
            self.answer(turn, 200, path)

    def answer(self, turn: int, status: int, body: bytes) -> None:
        """Answers leave in the order of their requests, as HTTP/1.1 requires."""
        head = b"HTTP/1.1 %d X\r\nContent-Length: %d\r\n\r\n" % (status, len(body))
        if turn == len(self.answers):
            self.answers.append(None)
        self.answers[turn] = head + body
        while self.sent < len(self.answers) and (ready := self.answers[self.sent]) is not None:
            self.write(ready)
            self.sent += 1

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)


class App:
    def __init__(self, refuse: int | None) -> None:
        self.refuse = refuse
        self.connections: list[list[bytes]] = []
        self.early: list[bytes] = []


@asynccontextmanager
async def proxy_to(port: int, settings: ProxySettings | None = None) -> AsyncIterator[int]:
    lb = LoadBalancer(settings=settings)
    try:
        group = lb.add_target_group("app", HEALTH, deregistration_delay=0.05)
        group.register("127.0.0.1", port)
        listener = await lb.add_listener("production", 0)
        listener.set_weights({"app": 100})
        await wait_for(lambda: group.healthy_count == 1, timeout=20)
        yield listener.port
    finally:
        await lb.close()


@asynccontextmanager
async def app_server(app: App) -> AsyncIterator[int]:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: AppConnection(app), "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()


async def read_responses(reader: asyncio.StreamReader, count: int) -> list[Response]:
    data = b""
    while len(parse_responses(data)) < count:
        more = await asyncio.wait_for(reader.read(65536), 5)
        if not more:
            break
        data += more
    return parse_responses(data)


async def get(port: int, request: bytes) -> list[Response]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        return await read_responses(reader, 1)
    finally:
        writer.close()


async def refused_upgrade_then_another_client(
    port: int, second: bytes, theirs: bytes = MINE
) -> tuple[list[Response], list[Response]]:
    """Client A: an upgrade with `second` behind it in one write. Client B,
    once A has its first answer: `theirs`. Both clients' answers."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(UPGRADE + second)
        first = await read_responses(reader, 1)
        answered = await get(port, theirs)
        rest = await read_responses(reader, 1)  # the pipelined request, answered to A
        return first + rest, answered
    finally:
        writer.close()


@pytest.mark.parametrize("refuse", [200, 426])
def test_a_refused_upgrade_keeps_the_pipelined_request_from_the_next_client(refuse: int) -> None:
    async def scenario() -> None:
        app = App(refuse)
        async with app_server(app) as app_port, proxy_to(app_port) as port:
            mine, theirs = await refused_upgrade_then_another_client(port, SECRET)
        assert [r.body for r in theirs] == [b"/mine"]
        assert [(r.status, r.body) for r in mine] == [(refuse, b"/chat refused"), (200, b"/secret")]
        assert app.early == [b""]  # the upgrade's head came alone
        assert [b"/chat"] in app.connections  # and its connection carried nothing else

    run(scenario())


def test_an_accepted_upgrade_passes_the_bytes_after_its_head_as_tunnel_data() -> None:
    async def scenario() -> None:
        app = App(refuse=None)
        async with app_server(app) as app_port, proxy_to(app_port) as port:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            try:
                writer.write(UPGRADE + SECRET)
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
                assert head.startswith(b"HTTP/1.1 101 ")
                echoed = await asyncio.wait_for(reader.readexactly(len(SECRET)), 5)
                assert echoed == SECRET  # tunnel data, echoed by the app, never parsed
                theirs = await get(port, MINE)
            finally:
                writer.close()
        assert [r.body for r in theirs] == [b"/mine"]
        assert app.early == [b""]
        assert [b"/chat"] in app.connections and [b"/secret"] not in app.connections

    run(scenario())


def test_connect_is_refused_and_reaches_no_target() -> None:
    async def scenario() -> None:
        app = App(refuse=426)
        async with app_server(app) as app_port, proxy_to(app_port) as port:
            connect = b"CONNECT 127.0.0.1:%d HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % app_port
            refused = await get(port, connect + SECRET)
            assert [r.status for r in refused] == [405]
            assert refused[0].headers[b"connection"] == b"close"
            # Answered after the CONNECT: had it been forwarded, it would show first.
            assert [r.body for r in await get(port, MINE)] == [b"/mine"]
        assert [path for paths in app.connections for path in paths] == [b"/mine"]

    run(scenario())


def test_connect_is_tunnelled_when_the_settings_allow_it() -> None:
    async def scenario() -> None:
        app = App(refuse=None)
        settings = ProxySettings(allow_connect=True)
        async with app_server(app) as app_port, proxy_to(app_port, settings) as port:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            try:
                writer.write(b"CONNECT x:1 HTTP/1.1\r\nHost: x:1\r\n\r\n" + SECRET)
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
                assert head.startswith(b"HTTP/1.1 200 ")
                assert await asyncio.wait_for(reader.readexactly(len(SECRET)), 5) == SECRET
            finally:
                writer.close()
        assert app.early == [b""]

    run(scenario())


def free_listening_socket() -> socket.socket:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    return listener


def test_gunicorn_refusing_an_upgrade_answers_each_client_its_own_request() -> None:
    """The same sequence against a server that is not ours: the example app
    under gunicorn's threaded worker, which keeps connections alive."""
    listener = free_listening_socket()
    app_port = listener.getsockname()[1]
    process = subprocess.Popen(
        [str(GUNICORN), "--worker-class", "gthread", "--threads", "4", "--keep-alive", "30",
         "--bind", f"fd://{listener.fileno()}", "app:app"],
        cwd=EXAMPLE, env={"APP_VERSION": "v1", "PATH": str(GUNICORN.parent)},
        pass_fds=[listener.fileno()], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    listener.close()

    async def scenario() -> None:
        async with proxy_to(app_port) as port:
            health = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
            for _ in range(3):
                mine, theirs = await refused_upgrade_then_another_client(
                    port, health, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
                )
                assert [r.status for r in theirs] == [200]
                assert b"version v1" in theirs[0].body, theirs[0].body  # the index, not /health
                assert len(mine) == 2 and b'"status"' in mine[1].body

    try:
        run(scenario())
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
