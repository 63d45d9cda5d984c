"""The task-driver boundary: how the runner starts one task of a revision.

The runner decides *what* runs and *when* (desired count, restarts with
backoff, stop on termination); a driver only knows *how* to run one task:
as a process group on this machine (`process_driver`) or as a container
(`docker_driver`). Everything a driver needs is in `TaskSpec`, already
rendered and typed, so drivers never read the user's files. Which driver a
project gets is `drivers.py`'s choice; this module holds only the interface
the drivers implement, so that none of them imports the module that
imports it.

All methods are coroutines: the daemon runs everything in one asyncio loop,
and a driver with a blocking client (the Docker SDK) wraps its calls in
`asyncio.to_thread`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ..spec.config import LocalNetwork
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
    log_path: Path
    """The task's output (every container's, for a Docker task)."""

    @property
    def alive(self) -> bool: ...

    @property
    def handle(self) -> str:
        """What finds the task again after a daemon crash (a process group id, a container id)."""

    def pids(self) -> list[int]:
        """Its processes as this machine's /proc shows them, main one first; []
        when they are not ours to see (a container in a network of its own)."""

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
