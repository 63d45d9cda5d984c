"""Reaching the project's runtime, starting it first when none runs.

The controller calls this at its start and when the runtime died under
it. The runtime is started in a session of its own with its output in
`runtime.log`, so that neither the controller's death nor a terminal's
Ctrl-C reaches it; it is ready once its socket answers.

It is handed the listening sockets the controller holds (`socket_handoff`).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from ..errors import PlatformError
from ..state_dir import StateDir, open_private
from .client import RuntimeClient
from .socket_handoff import HeldSockets

START_TIMEOUT = 60.0
POLL = 0.02


async def reach_runtime(
    client: RuntimeClient, state: StateDir, held: HeldSockets
) -> subprocess.Popen[bytes] | None:
    """Connect `client`; the runtime's process when this call started it, handing
    it the `held` sockets (bound now if none are held yet). A runtime already
    running gives `held` copies of its own."""
    try:
        await client.connect(state)
    except OSError:  # none listens (never started, or the one that did died)
        pass
    else:
        await held.take(state)
        return None
    handed = held.bound()
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
