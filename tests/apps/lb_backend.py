"""A small HTTP/1.1 backend for the load balancer's tests and benchmarks.

Runs in the test's own event loop (`await Backend("blue").start()`) or as a
process (`python -m tests.apps.lb_backend --name blue`, prints its port).
Routes: `/` answers the backend's name; `/health` answers `health_status`;
`/echo` streams the request body back; `/status/N`; `/sleep/MS`;
`/bytes/N` streams N bytes chunked; `/headers` echoes the request head;
`/close` answers without a length and closes; `/hop[/timeout]` sends
hop-by-hop headers; `/continue[/split]` a 100 Continue first;
`/split-head` its head in two writes. Every request is recorded in
`requests` so tests can prove what reached a backend.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import cast

import httptools


class Backend:
    def __init__(self, name: str = "backend") -> None:
        self.name = name
        self.health_status = 200
        self.requests: list[tuple[bytes, bytes]] = []  # (method, path), health checks excluded
        self.body_bytes = 0  # request body bytes seen so far
        self.port = 0
        self.server: asyncio.Server | None = None
        self.connections: set[asyncio.Transport] = set()

    async def start(self, port: int = 0) -> Backend:
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(lambda: _Connection(self), "127.0.0.1", port)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            for transport in list(self.connections):
                transport.abort()
            await self.server.wait_closed()
            self.server = None


class _Connection(asyncio.Protocol):
    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.url = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.body_chunks: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses
        self.backend.connections.add(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        assert self.transport is not None
        self.backend.connections.discard(self.transport)

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self._send(400, b"bad request\n", close=True)

    def on_message_begin(self) -> None:
        self.url, self.headers, self.body_chunks = b"", [], []

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_body(self, body: bytes) -> None:
        self.body_chunks.append(body)
        self.backend.body_bytes += len(body)

    def on_message_complete(self) -> None:
        method, path = self.parser.get_method(), self.url
        if path != b"/health":
            self.backend.requests.append((method, path))
        asyncio.get_running_loop().create_task(self._answer(method, path))

    async def _answer(self, method: bytes, path: bytes) -> None:
        body = b"".join(self.body_chunks)
        parts = path.split(b"/")
        if path == b"/health":
            self._send(self.backend.health_status, b"ok\n")
        elif path == b"/echo":
            self._send(200, body)
        elif path == b"/headers":
            head: dict[str, object] = {k.decode().lower(): v.decode() for k, v in self.headers}
            head["_names"] = [k.decode() for k, _ in self.headers]
            self._send(200, json.dumps(head).encode())
        elif parts[1] == b"status":
            self._send(int(parts[2]), b"status\n")
        elif parts[1] == b"sleep":
            await asyncio.sleep(int(parts[2]) / 1000)
            self._send(200, self.backend.name.encode())
        elif parts[1] == b"bytes":
            await self._stream(int(parts[2]))
        elif parts[1] == b"hop":  # hop-by-hop headers a target may send
            assert self.transport is not None
            extra = b"Keep-Alive: timeout=5\r\n" if parts[2:] == [b"timeout"] else b""
            self.transport.write(
                b"HTTP/1.1 200 OK\r\nX-App: 1\r\nConnection: keep-alive\r\n%s"
                b"Content-Length: 2\r\n\r\nok" % extra
            )
        elif parts[1] == b"continue":  # an informational response first
            assert self.transport is not None
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            if parts[2:] == [b"split"]:
                await asyncio.sleep(0.02)
            self._send(200, b"after continue")
        elif path == b"/split-head":  # a head that arrives in two reads
            assert self.transport is not None
            self.transport.write(b"HTTP/1.1 200 OK\r\nX-App: 1\r\n")
            await asyncio.sleep(0.02)
            self.transport.write(b"Content-Length: 2\r\nConnection: keep-alive\r\n\r\nok")
        elif path == b"/close":
            assert self.transport is not None
            self.transport.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + body)
            self.transport.close()
        else:
            self._send(200, self.backend.name.encode())

    def _send(self, status: int, body: bytes, close: bool = False) -> None:
        assert self.transport is not None
        head = b"HTTP/1.1 %d X\r\nContent-Length: %d\r\n" % (status, len(body))
        self.transport.write(head + (b"Connection: close\r\n" if close else b"") + b"\r\n" + body)
        if close:
            self.transport.close()

    async def _stream(self, size: int) -> None:
        assert self.transport is not None
        self.transport.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        piece = b"x" * 65536
        while size > 0:
            data = piece[: min(size, len(piece))]
            size -= len(data)
            self.transport.write(b"%x\r\n%s\r\n" % (len(data), data))
            await asyncio.sleep(0)
        self.transport.write(b"0\r\n\r\n")


async def _serve(name: str, port: int) -> None:
    backend = await Backend(name).start(port)
    print(backend.port, flush=True)
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--name", default="backend")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.run(_serve(args.name, args.port))
    except ImportError:
        asyncio.run(_serve(args.name, args.port))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
