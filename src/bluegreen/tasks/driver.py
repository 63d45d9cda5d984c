"""The task-driver boundary: how the runner starts one task of a revision.

The runner decides *what* runs and *when* (desired count, restarts with
backoff, stop on termination); a driver only knows *how* to run one task:
as a process group on this machine (`process_driver`) or as a container
(`docker_driver`). Everything a driver needs is in `TaskSpec`, already
rendered and typed, so drivers never read the user's files.

All methods are coroutines: the daemon runs everything in one asyncio loop,
and a driver with a blocking client (the Docker SDK) wraps its calls in
`asyncio.to_thread`.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ..errors import PlatformError
from ..spec.config import BluegreenConfig, LocalDriver, LocalNetwork
from ..spec.task_definition import ContainerDefinition

LABEL_PROJECT = "bluegreen.project"
LABEL_REVISION = "bluegreen.revision"
LABEL_TASK = "bluegreen.task"


@dataclass(frozen=True)
class TaskSpec:
    """One task to start: the task definition's containers plus where it listens.

    `host_port` is a free port on 127.0.0.1 picked by the runner; the task
    must serve the load-balanced container's port there (a process gets it
    as `PORT`; a container publishes `container_port` to it, or under host
    networking gets `PORT` too). `env` is the load-balanced container's
    environment with `PORT` already set.
    """

    task_id: str
    revision: str
    project_dir: Path
    containers: tuple[ContainerDefinition, ...]
    container: str
    """The load-balanced container's name."""
    container_port: int
    host_port: int
    env: Mapping[str, str]
    command: str | None
    """Shell command (`local.command` or the Dockerfile CMD); None: the image's own."""
    workdir: Path | None
    log_path: Path
    stop_timeout: float
    labels: Mapping[str, str] = field(default_factory=dict)
    network: LocalNetwork = LocalNetwork.PUBLISH
    """`local.network`; only containers care: publish `container_port`, or share the host's."""


class RunningTask(Protocol):
    """A started task. `host:port` is where the load balancer reaches it."""

    task_id: str
    host: str
    port: int

    @property
    def alive(self) -> bool: ...

    @property
    def handle(self) -> str:
        """What finds the task again after a daemon crash (a process group id, a container id)."""

    async def wait(self) -> int:
        """Until the task exits; its exit code (negative: killed by that signal)."""

    async def stop(self, timeout: float) -> int:
        """SIGTERM (or `docker stop`), SIGKILL after `timeout` seconds; the exit code."""


class TaskDriver(Protocol):
    name: str

    async def start(self, spec: TaskSpec) -> RunningTask:
        """Start the task; raise PlatformError when it cannot be started at all."""

    async def cleanup_orphans(self, project_key: str) -> int:
        """Kill what a crashed daemon of this project left running; how many were found."""


# name -> "module:class"; each class takes the project's state directory (.bluegreen/).
DRIVERS = {
    LocalDriver.PROCESS: "bluegreen.tasks.process_driver:ProcessDriver",
    LocalDriver.DOCKER: "bluegreen.tasks.docker_driver:DockerDriver",
}


def driver_for(config: BluegreenConfig, state_dir: Path) -> TaskDriver:
    """The driver `local.driver` asks for; `auto` is Docker when an engine answers."""
    choice = config.local.driver
    if choice is LocalDriver.AUTO:
        choice = LocalDriver.DOCKER if _docker_answers() else LocalDriver.PROCESS
    module_name, _, class_name = DRIVERS[choice].partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise PlatformError(f"the {choice.value} driver is not available: {exc}") from exc
    driver: TaskDriver = getattr(module, class_name)(state_dir)
    return driver


def _docker_answers() -> bool:
    try:
        docker_module = importlib.import_module("bluegreen.tasks.docker_driver")
    except ImportError:
        return False
    answers: bool = docker_module.engine_answers()
    return answers
