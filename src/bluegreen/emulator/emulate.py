"""`bluegreen aws emulate`: the endpoint on 127.0.0.1, up until SIGTERM or Ctrl-C.

One process holds everything: the HTTP server (werkzeug, a thread per
request, as moto's own server), moto's backends, the event loop with the
listeners and health checks, and the task processes. Stopping closes the
endpoint first (no new changes), then stops every task set (SIGTERM, then
SIGKILL after its stop timeout) and every listener, so nothing is left
behind.
"""

from __future__ import annotations

import importlib
import logging
import signal
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from ..errors import UsageError
from ..spec.project import Project, load_project
from ..state_dir import make_private_dir
from .world import World

log = logging.getLogger(__name__)

EXTRA = "pip install 'bluegreen[emulator]'"


@dataclass(frozen=True)
class EmulatorSettings:
    port: int = 4566
    state_dir: Path = Path(".bluegreen-emulator")
    project_dir: Path | None = None
    lambdas: Mapping[str, str] = field(default_factory=dict)
    """Lambda function name → the local command that stands for it (AppSpec hooks)."""
    time_scale: float = 1.0
    """Every AWS duration (health-check intervals, deregistration delays, wait and
    canary minutes) is multiplied by this: 0.01 runs a 5-minute canary in 3 s."""


def require_moto() -> None:
    """UsageError (exit 2) when moto, which stores the resources, is not installed."""
    try:
        importlib.import_module("moto.moto_server.werkzeug_app")
    except ImportError as exc:
        raise UsageError(f"the AWS emulator needs moto[server] ({exc}): {EXTRA}") from None


def project_at(directory: Path | None) -> Project | None:
    """The project whose `[local]` settings run the tasks; None without bluegreen.toml."""
    if directory is None or not (directory / "bluegreen.toml").exists():
        return None
    return load_project(directory)


def serve(settings: EmulatorSettings, ready: threading.Event | None = None) -> None:
    """Answer on 127.0.0.1:`port` until SIGTERM or SIGINT; then clean up and return."""
    require_moto()
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    make_private_dir(settings.state_dir)
    world = World(settings, project_at(settings.project_dir))
    app = world.endpoint(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", settings.port, app, True, request_handler=MotoRequestHandler)
    world.url = f"http://127.0.0.1:{server.server_port}"
    stop = threading.Event()
    previous = {sig: signal.signal(sig, _setter(stop)) for sig in (signal.SIGTERM, signal.SIGINT)}
    thread = threading.Thread(target=server.serve_forever, name="emulator-http", daemon=True)
    thread.start()
    log.warning("bluegreen AWS emulator on http://127.0.0.1:%d", server.server_port)
    log.warning(
        "its ECR registry on %s (docker login: aws ecr get-login-password)", world.registry.address
    )
    print(f"AWS_ENDPOINT_URL=http://127.0.0.1:{server.server_port}", flush=True)
    if ready is not None:
        ready.set()
    try:
        stop.wait()
    finally:
        server.shutdown()
        thread.join()
        world.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _setter(stop: threading.Event) -> signal.Handlers:
    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()

    return handle  # type: ignore[return-value]
