"""A half-close inside a tunnel is passed on as a half-close, in both directions: the
side that sent FIN still receives what the other sends, as it would over a direct
connection (a client that shuts its sending side after its last message, then reads the
server's reply, is how many command-line WebSocket and raw-TCP-over-Upgrade tools end)."""

from __future__ import annotations

import asyncio
import socket

from bluegreen.lb.load_balancer import LoadBalancer
from bluegreen.spec.config import HealthCheckConfig

from .harness import run, wait_for

HEALTH = HealthCheckConfig(path="/health", interval=0.05, timeout=0.04, healthy_threshold=2)
UPGRADE = b"GET /raw HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: raw\r\n\r\n"
SWITCHED = b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: raw\r\n\r\n"
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"


HEARD: list[bytes] = []
"""What the server that half-closed first heard from the client afterwards."""


async def _backend(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Health checks get 200; an upgrade gets 101, then either everything the client
    sends until its FIN and `after FIN` (path /raw), or `early` and a FIN first, and
    what the client sends after that is kept in HEARD (path /first)."""
    head = await reader.readuntil(b"\r\n\r\n")
    if not head.startswith(b"GET /raw") and not head.startswith(b"GET /first"):
        writer.write(OK)
        await writer.drain()
        writer.close()
        return
    writer.write(SWITCHED)
    if head.startswith(b"GET /raw"):
        heard = await reader.read()  # to the client's FIN
        writer.write(b"got " + heard + b"; after FIN")
    else:
        writer.write(b"early")
        await writer.drain()
        writer.write_eof()
        HEARD.append(await reader.read())
    await writer.drain()
    writer.close()


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def _switch(port: int, path: bytes) -> tuple[socket.socket, bytes]:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(UPGRADE.replace(b"/raw", path))
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = sock.recv(65536)
        assert chunk, f"closed before the switch: {received!r}"
        received += chunk
    head, rest = received.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 101 "), head
    return sock, rest


def _tunnel(port: int) -> tuple[bytes, bytes]:
    """What a client that half-closes gets back, and what one whose server did hears."""
    sock, rest = _switch(port, b"/raw")
    with sock:
        sock.sendall(b"last words")
        sock.shutdown(socket.SHUT_WR)
        reply = rest + _read_all(sock)
    sock, rest = _switch(port, b"/first")
    with sock:
        early = rest
        while not early.endswith(b"early"):
            early += sock.recv(65536)
        assert sock.recv(65536) == b"", "the server's FIN was not passed on"
        sock.sendall(b"late")  # still accepted: only the server's side is shut
        sock.shutdown(socket.SHUT_WR)
        assert _read_all(sock) == b""
    return reply, early


def test_a_half_close_in_a_tunnel_is_forwarded_as_a_half_close() -> None:
    async def scenario() -> None:
        server = await asyncio.start_server(_backend, "127.0.0.1", 0)
        backend_port = server.sockets[0].getsockname()[1]
        lb = LoadBalancer()
        try:
            group = lb.add_target_group("raw", HEALTH, deregistration_delay=0.1)
            group.register("127.0.0.1", backend_port)
            listener = await lb.add_listener("production", 0)
            listener.set_weights({"raw": 100})
            await wait_for(lambda: group.healthy_count == 1)
            direct = await asyncio.to_thread(_tunnel, backend_port)
            proxied = await asyncio.to_thread(_tunnel, listener.port)
            assert direct == (b"got last words; after FIN", b"early")
            assert proxied == direct
            await wait_for(lambda: len(HEARD) == 2)
            assert HEARD == [b"late", b"late"]  # directly, and through the proxy
            await wait_for(lambda: not next(iter(group.targets)).tunnels)
        finally:
            await lb.close()
            server.close()
            await server.wait_closed()

    run(scenario())
