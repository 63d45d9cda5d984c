"""The local platform's daemon (the controller): one process and loop per project.

It holds the deployment controller, the store and the admin API, so a
deployment survives the CLI that started it; the listeners and the tasks
live in the runtime process (`bluegreen.runtime`), which it starts or
finds, so that production outlives the daemon. `bluegreen up` runs
`python -m bluegreen.local.daemon DIR` in its own session; `daemon.json`
appears once everything serves (the stable revision restored and healthy,
or the runtime's tasks adopted), which is what `up` waits for. SIGTERM,
SIGINT or `POST /api/shutdown` drain and stop everything, the runtime too.

The daemon takes `daemon.lock` before it writes anything and holds it until
it exits: a second daemon for the project stops there, having changed
nothing, so the first one's token and `daemon.json` stay valid.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

from aiohttp import web

from ..errors import BluegreenError, PlatformError
from ..lb.load_balancer import loop_factory
from ..spec.project import Project, load_project
from ..state_dir import DaemonInfo, StateDir, try_lock
from ..tasks.drivers import driver_for
from .api import build_app
from .service import LocalService


async def serve(project_dir: Path) -> None:
    project = load_project(project_dir)
    state = StateDir.of(project_dir)
    state.prepare()
    lock = try_lock(state.daemon_lock_file)
    if lock is None:
        raise PlatformError(f"a daemon already runs for {project_dir} (it holds daemon.lock)")
    try:
        await _serve_locked(project, state)
    finally:
        os.close(lock)


async def _serve_locked(project: Project, state: StateDir) -> None:
    token = state.new_token()
    driver = driver_for(project.config, state.path)
    service = LocalService(project.config, project.dir.resolve(), state.path, driver)
    shutdown = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, shutdown.set)
    runner = web.AppRunner(build_app(service, token, shutdown), access_log=None)
    await runner.setup()
    try:
        await _listen(runner, project.config.local.admin_port)  # before anything starts
        await service.start()
        port = runner.addresses[0][1]
        state.write_info(DaemonInfo(os.getpid(), port))
        logging.info("serving; admin API on 127.0.0.1:%s", port)
        await shutdown.wait()
        logging.info("shutting down: draining")
    finally:
        state.info_file.unlink(missing_ok=True)
        await service.close()
        await runner.cleanup()
        logging.info("stopped")


async def _listen(runner: web.AppRunner, port: int) -> None:
    try:
        await web.TCPSite(runner, "127.0.0.1", port).start()
    except OSError as exc:
        raise PlatformError(
            f"local.admin_port {port}: cannot listen on 127.0.0.1:{port} ({exc.strerror}); "
            "another project's daemon may hold it: set [local] admin_port to a free port "
            "(0 picks one)"
        ) from None


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        with asyncio.Runner(loop_factory=loop_factory()) as loop_runner:
            loop_runner.run(serve(Path(args[0] if args else ".")))
    except BluegreenError as exc:
        logging.error("%s", exc)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
