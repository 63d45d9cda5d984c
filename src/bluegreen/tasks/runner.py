"""The task runner: keeps a revision's task set at its desired count.

Like an ECS service, a live task set restarts a task that exits, with
exponential backoff so a crash loop costs little; it reports every start
and exit to its owner (the controller registers and deregisters targets in
the load balancer and decides when a crash loop means the set failed).
A task the driver cannot start at all (no command, an image the engine
can't pull, a directory that isn't there) is not retried: the set reports
the driver's error at once, since the next attempt would fail the same way.
A task that listens, but not on its `PORT`, is named by `misbound`.
The runner picks a free port per task and builds the `TaskSpec` from the
typed task definition; a driver runs it. A revision that holds its own
files (a snapshot, under the process driver) runs its tasks there, with
that snapshot's Dockerfile, so a rollback runs the code it was deployed with;
a task set also runs with its revision's own settings (its command, its
container and port), not those the daemon read when it started.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import uuid
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from pathlib import Path

from ..errors import PlatformError
from ..spec.config import BluegreenConfig
from ..spec.task_definition import ContainerDefinition, TaskDefinition
from .dockerfile import read_dockerfile
from .driver import LABEL_PROJECT, LABEL_REVISION, LABEL_TASK, RunningTask, TaskDriver, TaskSpec
from .listening_ports import misbound


@dataclass(frozen=True)
class RestartPolicy:
    first_delay: float = 0.2
    max_delay: float = 10.0
    stable_after: float = 10.0
    """A task that ran this long resets the backoff."""


TaskCallback = Callable[[RunningTask], Awaitable[None]]
ExitCallback = Callable[[RunningTask, int], Awaitable[None]]
FailureCallback = Callable[[str], Awaitable[None]]
DrainCallback = Callable[[RunningTask], Awaitable[Awaitable[None] | None]]
"""Takes a task being stopped out of the load balancer and returns, once the task
may be signalled, the rest of its drain (None: the task had no target)."""


class TaskSet:
    """The tasks of one revision: started together, restarted while live, stopped together."""

    def __init__(
        self,
        name: str,
        revision: str,
        runner: Runner,
        taskdef: TaskDefinition,
        count: int,
        workdir: Path | None = None,
        config: BluegreenConfig | None = None,
        driver: TaskDriver | None = None,
    ) -> None:
        self.name = name
        self.revision = revision
        self.workdir = workdir
        """The revision's snapshot of the app's files; None: the project directory."""
        self.runner = runner
        self.driver = driver or runner.driver
        """What runs its tasks: the Docker driver for a revision of images, else the runner's."""
        self.config = config or runner.config
        """The settings its tasks run with (command, container, port)."""
        self.taskdef = taskdef
        self.container = runner.container(taskdef, self.config)
        self.count = count
        self.tasks: dict[int, RunningTask] = {}
        self.on_start: TaskCallback | None = None
        self.on_exit: ExitCallback | None = None
        self.on_failure: FailureCallback | None = None
        self.failure: str | None = None
        """The driver's error when a task could not be started; no slot restarts after it."""
        self._loops: list[asyncio.Task[None]] = []
        self.live = False

    async def start(self) -> None:
        self.live = True
        self._loops = [asyncio.create_task(self._keep(slot)) for slot in range(self.count)]

    async def stop(self, drain: DrainCallback | None = None) -> None:
        """Stop restarting, then stop every task at once. `drain(task)` takes a
        task out of the load balancer (no new requests from then on) and returns
        once the requests that have an end are answered; then the task gets
        SIGTERM while its open connections are kept, and SIGKILL after its stop
        timeout. ECS sends SIGTERM only after the whole drain, when the load
        balancer has cut what the app could have closed cleanly itself (a
        WebSocket close frame, the end of an event stream). The set is stopped
        once every task has exited and every drain has ended."""
        self.live = False
        for loop in self._loops:
            loop.cancel()
        tasks = list(self.tasks.values())
        self.tasks.clear()
        timeout = self.container.stop_timeout
        stops = (_stop_task(task, timeout, drain) for task in tasks)
        await asyncio.gather(*stops, return_exceptions=True)
        await asyncio.gather(*self._loops, return_exceptions=True)

    async def _keep(self, slot: int) -> None:
        delay = self.runner.restart.first_delay
        loop = asyncio.get_running_loop()
        while self.live and self.failure is None:
            started = loop.time()
            try:
                spec = self.runner.spec(self.revision, self.taskdef, self.workdir, self.config)
                task = await self.driver.start(spec)
            except PlatformError as exc:
                await self._failed(str(exc))
                return
            except Exception as exc:  # a driver's bug must not end the loop unseen either
                await self._failed(f"the {self.driver.name} driver failed: {exc!r}")
                raise
            self.tasks[slot] = task
            if self.on_start:
                await self.on_start(task)
            code = await task.wait()
            if not self.live:
                return
            self.tasks.pop(slot, None)
            if self.on_exit:
                await self.on_exit(task, code)
            if loop.time() - started >= self.runner.restart.stable_after:
                delay = self.runner.restart.first_delay
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.runner.restart.max_delay)

    def misbound(self, suspects: Collection[str]) -> str | None:
        """`task N listens on …, not on $PORT=…` for the first of the `suspects`
        (task ids whose health checks are refused) that listens, not on its own port."""
        for slot, task in sorted(self.tasks.items()):
            if task.task_id in suspects:
                why = misbound(task.pids(), task.port)
                if why:
                    return f"task {slot + 1} {why}"
        return None

    async def _failed(self, why: str) -> None:
        """Report the first start failure once; the other slots stop restarting too."""
        if self.failure is not None:
            return
        self.failure = why
        if self.on_failure:
            await self.on_failure(why)


class Runner:
    def __init__(
        self,
        driver: TaskDriver,
        config: BluegreenConfig,
        project_dir: Path,
        state_dir: Path,
        restart: RestartPolicy | None = None,
    ) -> None:
        self.driver = driver
        self.config = config
        self.project_dir = project_dir
        self.state_dir = state_dir
        self.restart = restart or RestartPolicy()
        self.dockerfile = read_dockerfile(project_dir)

    def task_set(
        self,
        name: str,
        revision: str,
        taskdef: TaskDefinition,
        count: int | None = None,
        workdir: Path | None = None,
        config: BluegreenConfig | None = None,
        driver: TaskDriver | None = None,
    ) -> TaskSet:
        """A task set of `revision` (run in `workdir`, its snapshot, when it has one,
        with `config`, its settings, else the runner's, by `driver`, else the
        runner's); SpecError if it lacks the load-balanced container."""
        count = count or (config or self.config).service.desired_count
        return TaskSet(name, revision, self, taskdef, count, workdir, config, driver)

    def spec(
        self,
        revision: str,
        taskdef: TaskDefinition,
        workdir: Path | None = None,
        config: BluegreenConfig | None = None,
    ) -> TaskSpec:
        config = config or self.config
        container = self.container(taskdef, config)
        task_id = f"{revision.replace(':', '-')}-{uuid.uuid4().hex[:8]}"
        port = free_port()
        dockerfile = self.dockerfile if workdir is None else read_dockerfile(workdir)
        env = {**dockerfile.env, **container.env, "PORT": str(port)}
        return TaskSpec(
            task_id=task_id,
            revision=revision,
            project_dir=self.project_dir,
            containers=taskdef.container_definitions,
            container=container.name,
            container_port=config.service.container_port,
            host_port=port,
            env=env,
            command=config.local.command or dockerfile.command,
            workdir=workdir,
            log_path=self.log_dir(revision) / f"{task_id}.log",
            stop_timeout=container.stop_timeout,
            labels={
                LABEL_PROJECT: str(self.project_dir),
                LABEL_REVISION: revision,
                LABEL_TASK: task_id,
            },
            network=self.config.local.network,
        )

    def container(
        self, taskdef: TaskDefinition, config: BluegreenConfig | None = None
    ) -> ContainerDefinition:
        """The load-balanced container (`service.container`)."""
        return taskdef.container((config or self.config).service.container)

    def log_dir(self, revision: str) -> Path:
        return self.state_dir / "logs" / revision.replace(":", "-")


async def _stop_task(task: RunningTask, timeout: float, drain: DrainCallback | None) -> None:
    drained = None
    try:
        drained = await drain(task) if drain else None
    finally:  # a drain that fails must not leave its task running
        await task.stop(timeout)
    if drained is not None:
        await drained


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
