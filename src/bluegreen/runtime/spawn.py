"""Reaching the project's runtime, starting it first when none runs.

The controller calls this at its start and when the runtime died under
it. The runtime is started in a session of its own with its output in
`runtime.log`, so that neither the controller's death nor a terminal's
Ctrl-C reaches it; it is ready once its socket answers.

The listening sockets are the controller's: it binds them (`listen_on`)
and hands them to each runtime it starts (`NAME=FD` arguments), and keeps
its own copies open. When a runtime dies, the kernel keeps queueing the
connections that arrive, and the next runtime accepts them once the
stable revision can answer: clients wait instead of being refused (as
systemd's socket activation and HAProxy's socket transfer on reload do).
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from ..errors import PlatformError
from ..lb.proxy_settings import ProxySettings
from ..state_dir import StateDir, open_private
from .client import RuntimeClient

START_TIMEOUT = 60.0
POLL = 0.02


HOST = "127.0.0.1"

Sockets = Mapping[str, socket.socket]
"""Listener name → its listening socket."""


def listen_on(ports: Mapping[str, int]) -> dict[str, socket.socket]:
    """A listening socket on 127.0.0.1 for each listener (port 0: a free one)."""
    made: dict[str, socket.socket] = {}
    try:
        for name, port in ports.items():
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            made[name] = sock
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((HOST, port))
            except OSError as exc:
                raise PlatformError(f"cannot listen on {HOST}:{port} ({name}): {exc}") from exc
            sock.listen(ProxySettings.backlog)  # the runtime's until one runs
    except BaseException:
        for sock in made.values():
            sock.close()
        raise
    return made


async def reach_runtime(
    client: RuntimeClient, state: StateDir, sockets: Callable[[], Sockets]
) -> subprocess.Popen[bytes] | None:
    """Connect `client`; the runtime's process when this call started it, handing
    it the listening `sockets()`."""
    try:
        await client.connect(state)
        return None
    except OSError:  # none listens (never started, or the one that did died)
        pass
    handed = sockets()
    fds = {name: sock.fileno() for name, sock in handed.items()}
    command = [sys.executable, "-m", "bluegreen.runtime", str(state.path)]
    command += [f"{name}={fd}" for name, fd in fds.items()]
    process, start = start_detached(command, state.runtime_log_file, tuple(fds.values()))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + START_TIMEOUT
    while True:
        try:
            await client.connect(state)
            return process
        except OSError:
            if process.poll() is not None or loop.time() > deadline:
                break
        await asyncio.sleep(POLL)
    process.kill()
    process.wait()
    raise PlatformError(f"the runtime did not start:\n{log_tail(state.runtime_log_file, start)}")


def start_detached(
    command: list[str], log_path: Path, pass_fds: tuple[int, ...] = ()
) -> tuple[subprocess.Popen[bytes], int]:
    """`command` in a session of its own (no terminal's signal reaches it), its
    output appended to `log_path` (0600), inheriting `pass_fds`; and the offset
    its output starts at."""
    with open(log_path, "ab", opener=open_private) as log:
        start = log.tell()
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            pass_fds=pass_fds,
        )
    return process, start


def log_tail(path: Path, start: int, lines: int = 10) -> str:
    """What was written to `path` from `start` on (not earlier runs), its last lines."""
    try:
        with path.open("rb") as log:
            log.seek(start)
            text = log.read().decode(errors="replace")
    except FileNotFoundError:
        return f"(no {path.name})"
    return "\n".join(text.splitlines()[-lines:])
