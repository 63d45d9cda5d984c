"""The runtime process: its socket, its lock, its life.

`python -m bluegreen.runtime STATE_DIR [NAME=FD ...]` is started by the
controller (in a session of its own, so that it outlives it), inheriting
the listening socket of each listener NAME as descriptor FD, and lives until a
`shutdown` request or SIGTERM. It takes `runtime.lock` before it writes
anything, so one runtime serves a project. It reads none of the project's
files: the first `configure` brings the settings the controller started
with, and only then does it make its driver and kill what a runtime that
died left running (its tasks, from their pid files), since nobody can
route to them any more. `runtime.json` says its pid once the socket
answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any

from ..errors import BluegreenError, PlatformError, SpecError, UsageError
from ..lb.load_balancer import loop_factory
from ..spec.config import BluegreenConfig
from ..state_dir import PRIVATE_FILE, StateDir, try_lock, write_private
from ..tasks.drivers import driver_for, image_driver
from ..tasks.image_pins import ImageDriver
from .data_plane import DataPlane
from .socket_handoff import offer
from .wire import LINE_LIMIT, decode, encode, short_address

log = logging.getLogger(__name__)

OPS = (
    "configure", "serve", "set_health_check", "set_weights", "note", "launch", "terminate",
    "reprobe", "state", "view", "metrics_text",
)  # fmt: skip


class RuntimeServer:
    def __init__(self, state: StateDir, sockets: dict[str, socket.socket]) -> None:
        self.state = state
        self.sockets = sockets
        """The listening sockets handed down, by listener name, for the plane."""
        self.plane: DataPlane | None = None
        """Made by the first `configure`, from the settings it brings."""
        self.watchers: set[asyncio.StreamWriter] = set()
        self.stopped = asyncio.Event()
        self.work: set[asyncio.Task[None]] = set()

    async def connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await reader.readline():
                task = asyncio.create_task(self._answer(writer, decode(line)))
                self.work.add(task)
                task.add_done_callback(self.work.discard)
        except (ConnectionError, ValueError) as exc:
            log.warning("runtime client dropped: %r", exc)
        except asyncio.CancelledError:  # the runtime is stopping: its loop ends the handler
            pass
        finally:
            self.watchers.discard(writer)
            writer.close()

    async def _answer(self, writer: asyncio.StreamWriter, request: dict[str, Any]) -> None:
        op, args = request.get("op"), request.get("args", {})
        try:
            result = await self._perform(writer, str(op), args)
            answer = {"id": request.get("id"), "result": result}
        except BluegreenError as exc:
            answer = {"id": request.get("id"), "error": str(exc), "kind": _kind(exc)}
        except Exception as exc:
            log.exception("runtime: %s failed", op)
            answer = {"id": request.get("id"), "error": f"{op}: {exc!r}", "kind": "internal"}
        if not writer.is_closing():
            writer.write(encode(answer))

    async def _perform(self, writer: asyncio.StreamWriter, op: str, args: dict[str, Any]) -> Any:
        if op == "watch":
            self.watchers.add(writer)
            return None
        if op == "shutdown":
            self.stopped.set()
            return None
        if op not in OPS:
            raise UsageError(f"the runtime has no operation {op!r}")
        if op == "configure":  # the settings make the plane once; later ones are its own
            config, project_dir = args.pop("config"), Path(args.pop("project_dir"))
            clean_images = bool(args.pop("clean_images", False))
            self.plane = self.plane or await self._make_plane(config, project_dir, clean_images)
        if self.plane is None:
            raise PlatformError(f"the runtime is not configured yet (asked to {op})")
        result = getattr(self.plane, op)(**args)
        return await result if asyncio.iscoroutine(result) else result

    async def _make_plane(
        self, data: dict[str, Any], project_dir: Path, clean_images: bool
    ) -> DataPlane:
        """The plane, once what a runtime that died left running is gone: its tasks,
        and (`clean_images`: the store has revisions of images) the containers that
        ran them under a daemon whose own driver runs processes."""
        config = BluegreenConfig.model_validate(data)
        driver = driver_for(config, self.state.path)
        # The key the runner labels tasks with (LABEL_PROJECT): the project directory.
        left = await driver.cleanup_orphans(str(project_dir))
        if clean_images and not isinstance(driver, ImageDriver):
            try:
                what = "removing the containers a runtime that died left"
                docker = await asyncio.to_thread(image_driver, config, self.state.path, what)
                left += await docker.cleanup_orphans(str(project_dir))
            except UsageError as exc:
                log.info("no containers to remove: %s", exc)
        if left:
            log.warning("killed %d tasks a runtime that died left running", left)
        plane = DataPlane(config, project_dir, self.state.path, driver, self.sockets)
        plane.publish = self.publish
        return plane

    def publish(self, event: dict[str, Any]) -> None:
        line = encode(event)
        for writer in list(self.watchers):
            if writer.is_closing():
                self.watchers.discard(writer)
            else:
                writer.write(line)


def _kind(exc: BluegreenError) -> str:
    if isinstance(exc, SpecError):
        return "spec"
    if isinstance(exc, UsageError):
        return "usage"
    return "platform" if isinstance(exc, PlatformError) else "internal"


async def serve(state_dir: Path, sockets: dict[str, socket.socket]) -> None:
    state = StateDir(state_dir)
    state.prepare()
    lock = try_lock(state.runtime_lock_file)
    if lock is None:
        raise PlatformError(f"a runtime already runs for {state_dir} (it holds runtime.lock)")
    try:
        await _serve_on_socket(RuntimeServer(state, sockets), state)
    finally:
        os.close(lock)


async def _serve_on_socket(server: RuntimeServer, state: StateDir) -> None:
    state.runtime_socket.unlink(missing_ok=True)  # a dead runtime's: we hold the lock
    old_umask = os.umask(0o177)  # the socket is made 0600, never wider for a moment
    try:
        with short_address(state.runtime_socket) as address:
            unix = await asyncio.start_unix_server(server.connection, address, limit=LINE_LIMIT)
    finally:
        os.umask(old_umask)
    os.chmod(state.runtime_socket, PRIVATE_FILE)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, server.stopped.set)
    handoff = asyncio.create_task(offer(state, server.sockets))
    write_private(state.runtime_info_file, json.dumps({"pid": os.getpid()}))
    log.info("runtime serving on %s", state.runtime_socket)
    try:
        await server.stopped.wait()
        log.info("runtime shutting down: draining what is left")
    finally:
        state.runtime_info_file.unlink(missing_ok=True)
        handoff.cancel()
        if server.plane is not None:
            await server.plane.close()
        unix.close()
        for task in list(server.work):
            task.cancel()
        with contextlib.suppress(OSError):
            state.runtime_socket.unlink()
        log.info("runtime stopped")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    handed = dict(arg.split("=", 1) for arg in args[1:])
    sockets = {name: socket.socket(fileno=int(fd)) for name, fd in handed.items()}
    for sock in sockets.values():  # the tasks this runtime starts get none of them
        sock.set_inheritable(False)
    try:
        with asyncio.Runner(loop_factory=loop_factory()) as loop_runner:
            loop_runner.run(serve(Path(args[0]), sockets))
    except BluegreenError as exc:
        logging.error("%s", exc)
        return exc.exit_code
    return 0
