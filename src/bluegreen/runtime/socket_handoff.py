"""The listening sockets: the controller's to keep, each runtime's to serve.

The controller binds them (`HeldSockets.bound`) and hands them to each
runtime it starts (`NAME=FD` arguments), keeping its own copies open. When
a runtime dies, the kernel goes on queueing the connections that arrive,
and the next runtime accepts them once the stable revision can answer:
clients wait instead of being refused, as with systemd's socket activation
or HAProxy's socket transfer on reload.

A controller that comes back to a runtime that outlived its predecessor
takes copies from it (`HeldSockets.take`): the runtime offers them on
`runtime-sockets.sock` (0600, like its API socket) with SCM_RIGHTS, so the
next runtime death is covered too.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
from collections.abc import Mapping

from ..errors import PlatformError
from ..lb.proxy_settings import ProxySettings
from ..state_dir import PRIVATE_FILE, StateDir
from .wire import short_address

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
MAX_SOCKETS = 16
NAMES_LIMIT = 4096


class HeldSockets:
    """The controller's copies of the listeners' sockets, by listener name."""

    def __init__(self, ports: Mapping[str, int]) -> None:
        self.ports = dict(ports)
        self.sockets: dict[str, socket.socket] = {}

    def bound(self) -> dict[str, socket.socket]:
        """The sockets for a runtime about to start: bound on 127.0.0.1 the first time."""
        if not self.sockets:
            self.sockets = _listen_on(self.ports)
        return self.sockets

    async def take(self, state: StateDir) -> None:
        """Copies of the sockets the running runtime serves, unless held already.
        A runtime that cannot hand them over (one of an older bluegreen) serves on:
        only its death would then refuse connections until the next one listens."""
        if self.sockets:
            return
        try:
            self.sockets = await asyncio.to_thread(_receive, state)
        except PlatformError as exc:
            log.warning("%s; should it die, connections are refused until the next listens", exc)

    def close(self) -> None:
        for sock in self.sockets.values():
            sock.close()
        self.sockets = {}


def _listen_on(ports: Mapping[str, int]) -> dict[str, socket.socket]:
    made: dict[str, socket.socket] = {}
    try:
        for name, port in ports.items():
            sock = made[name] = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((HOST, port))
            except OSError as exc:
                raise PlatformError(f"cannot listen on {HOST}:{port} ({name}): {exc}") from exc
            sock.listen(ProxySettings.backlog)  # the runtime's own until one serves
    except BaseException:
        for sock in made.values():
            sock.close()
        raise
    return made


def _receive(state: StateDir) -> dict[str, socket.socket]:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(10)
        try:
            with short_address(state.runtime_sockets_socket) as address:
                conn.connect(address)
            data, fds, _, _ = socket.recv_fds(conn, NAMES_LIMIT, MAX_SOCKETS)
        except OSError as exc:
            why = f"the runtime did not hand over its listening sockets: {exc}"
            raise PlatformError(why) from exc
    try:
        names = list(json.loads(data))
    except ValueError:
        names = []
    if not names or len(names) != len(fds):
        for fd in fds:
            os.close(fd)
        raise PlatformError(f"the runtime handed over {len(fds)} sockets for {names}")
    return {name: socket.socket(fileno=fd) for name, fd in zip(names, fds, strict=True)}


async def offer(state: StateDir, sockets: Mapping[str, socket.socket]) -> None:
    """Hand copies of `sockets` to every controller that connects, until cancelled."""
    path = state.runtime_sockets_socket
    path.unlink(missing_ok=True)  # a dead runtime's: the caller holds runtime.lock
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old_umask = os.umask(0o177)  # made 0600, never wider for a moment
    try:
        with short_address(path) as address:
            server.bind(address)
    finally:
        os.umask(old_umask)
    os.chmod(path, PRIVATE_FILE)
    server.listen()
    server.setblocking(False)
    loop = asyncio.get_running_loop()
    names = list(sockets)
    payload = json.dumps(names).encode()
    try:
        while True:
            conn, _ = await loop.sock_accept(server)
            with conn, contextlib.suppress(OSError):  # a controller gone meanwhile
                conn.setblocking(True)
                conn.settimeout(10)
                socket.send_fds(conn, [payload], [sockets[n].fileno() for n in names])
    finally:
        server.close()
        with contextlib.suppress(OSError):
            path.unlink()
