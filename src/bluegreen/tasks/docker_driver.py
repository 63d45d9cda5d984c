"""The Docker task driver: a task is its task definition's containers on a Docker engine.

It runs the very image ECS will run, with the same lifecycle as the process
driver: `docker stop` (SIGTERM, then SIGKILL after the stop timeout), logs
appended to the task's log file, an exit the runner restarts. As on ECS,
the task ends when an essential container exits or turns unhealthy, and
its other containers are stopped with it. Containers carry the project,
revision and task labels, so `cleanup_orphans` finds what a crashed daemon
left, and every container is removed once its task has ended.

The SDK blocks: its calls run in the driver's own thread pool (a `docker
stop` may take the whole stop timeout, and the loop's default executor is
small); the two long waits (the engine's event stream per task, and each
container's log stream) get threads of their own.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import docker
from docker.models.containers import Container

from ..errors import PlatformError
from ..images.docker_engine import connect, engine_answers
from ..spec.config import LocalNetwork
from ..spec.task_definition import TaskDefinition
from ..state_dir import make_private_dir, open_private
from .container_plan import ContainerPlan, plan_task
from .docker_images import ENGINE_ERRORS, bring_back_all, ensure_image, explain, pin_image
from .driver import LABEL_PROJECT, LABEL_TASK, TaskSpec
from .image_pins import ImagePin
from .listening_ports import tree_pids
from .task_logs import StampedLog, note, note_end

__all__ = ["DockerDriver", "DockerTask", "connect", "engine_answers"]

T = TypeVar("T")

# Connection pool per client: each running container holds one stream for its
# logs and each task one for its events.
MAX_POOL_SIZE = 128
LOG_DRAIN_TIMEOUT = 5.0
EXECUTOR_THREADS = 32


class DockerTask:
    """One started task; `wait` resolves when its watcher has seen it end and removed it."""

    def __init__(
        self,
        spec: TaskSpec,
        containers: list[tuple[ContainerPlan, Container]],
        executor: ThreadPoolExecutor,
    ) -> None:
        self.task_id = spec.task_id
        self.host = "127.0.0.1"
        self.port = spec.host_port
        self.log_path = spec.log_path
        self.main_pid: int | None = None
        """The main process's pid on this machine, known when the task shares its network."""
        self.spec = spec
        self.containers = containers
        self.executor = executor
        self._ended: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.stopping = False
        self._log_threads = [
            _pump_logs(c, spec.log_path, "" if plan.name == spec.container else plan.name)
            for plan, c in containers
        ]

    @property
    def alive(self) -> bool:
        return not self._ended.done()

    @property
    def handle(self) -> str:
        return str(self.containers[0][1].id)

    def pids(self) -> list[int]:
        return tree_pids(self.main_pid) if self.main_pid else []

    def locate(self) -> None:
        """Learn the main pid in the background: the start is not held up for it,
        and a start cancelled meanwhile leaves nothing behind."""
        found = _blocking(self.executor, _main_pid, self.containers[0][1])
        found.add_done_callback(self._located)

    def _located(self, found: asyncio.Future[int | None]) -> None:
        if not found.cancelled() and found.exception() is None:
            self.main_pid = found.result()

    async def wait(self) -> int:
        return await asyncio.shield(self._ended)

    async def stop(self, timeout: float) -> int:
        self.stopping = self.stopping or self.alive
        if self.alive:
            await asyncio.gather(
                *(_blocking(self.executor, _stop, c, timeout) for _, c in self.containers)
            )
        return await self.wait()

    def watch(self, client: docker.DockerClient, since: float) -> None:
        """Follow the engine's events for this task in a thread until the task ends."""
        loop = asyncio.get_running_loop()
        thread = threading.Thread(
            target=self._watch, args=(client, since, loop), name=f"watch-{self.task_id}"
        )
        thread.daemon = True
        thread.start()

    def _watch(self, client: docker.DockerClient, since: float, loop: Any) -> None:
        code = -1
        try:
            code = self._until_ended(client, since)
        except ENGINE_ERRORS as exc:
            _note(self.spec.log_path, f"lost the Docker engine while watching: {exc}")
        finally:
            self._tear_down()
            note_end(self.spec.log_path, self.task_id, code, stopped=self.stopping)
            with contextlib.suppress(RuntimeError):  # the loop is already closed
                loop.call_soon_threadsafe(_resolve, self._ended, code)

    def _until_ended(self, client: docker.DockerClient, since: float) -> int:
        """The exit code of the first essential container to die; unhealthy ones are stopped."""
        essential = {c.id: plan.name for plan, c in self.containers if plan.essential}
        events = client.events(
            since=since,
            decode=True,
            filters={"label": f"{LABEL_TASK}={self.task_id}", "event": ["die", "health_status"]},
        )
        try:
            for event in events:
                name = essential.get(event.get("id"))
                action = str(event.get("Action", ""))
                if name is None:
                    continue
                if action == "die":
                    return _exit_code(event["Actor"]["Attributes"].get("exitCode", "-1"))
                if action.endswith("unhealthy"):
                    _note(self.spec.log_path, f"container {name} is unhealthy: stopping the task")
                    self._stop_all()
        finally:
            events.close()
        return -1

    def _stop_all(self) -> None:
        for _, container in self.containers:
            _stop(container, self.spec.stop_timeout)

    def _tear_down(self) -> None:
        """The task is over: stop what still runs, let the logs drain, remove every container."""
        self._stop_all()
        for thread in self._log_threads:
            thread.join(timeout=LOG_DRAIN_TIMEOUT)
        for _, container in self.containers:
            _remove(container)


class DockerDriver:
    name = "docker"

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.executor = ThreadPoolExecutor(
            max_workers=EXECUTOR_THREADS, thread_name_prefix="docker"
        )
        self._client: docker.DockerClient | None = None

    async def client(self) -> docker.DockerClient:
        if self._client is None:
            self._client = await _blocking(self.executor, _connect)
        return self._client

    async def start(self, spec: TaskSpec) -> DockerTask:
        client = await self.client()
        plans = plan_task(spec)
        make_private_dir(spec.log_path.parent)
        since = time.time() - 1  # the watcher replays from here: no exit goes unseen
        starting = _blocking(self.executor, _start_all, client, spec, plans)
        try:
            containers = await asyncio.shield(starting)
        except asyncio.CancelledError:
            # The caller gave up (a task set stopped mid-start); the thread goes on.
            starting.add_done_callback(self._discard)
            raise
        task = DockerTask(spec, containers, self.executor)
        task.watch(client, since)
        if spec.network is LocalNetwork.HOST:  # its ports are this machine's: worth a look
            task.locate()
        return task

    def _discard(self, starting: asyncio.Future[list[tuple[ContainerPlan, Container]]]) -> None:
        """Remove the containers of a start nobody awaits any more."""
        if not starting.cancelled() and starting.exception() is None:
            for _, container in starting.result():
                self.executor.submit(_remove, container)

    async def pin(self, taskdef: TaskDefinition, first: str) -> tuple[ImagePin, ...]:
        """Each container's image as the engine resolves it now (`image_pins`)."""
        client = await self.client()
        named = sorted(
            (c for c in taskdef.container_definitions if c.image),
            key=lambda c: c.name != first,
        )
        pins = (_blocking(self.executor, pin_image, client, c.name, c.image) for c in named)
        return tuple(await asyncio.gather(*pins))

    async def ensure_present(self, revision: str, pins: Sequence[ImagePin]) -> None:
        client = await self.client()
        await _blocking(self.executor, bring_back_all, client, revision, list(pins))

    async def cleanup_orphans(self, project_key: str) -> int:
        """Remove every container labelled with this project; how many tasks they were."""
        client = await self.client()
        return await _blocking(self.executor, _remove_project, client, project_key)


def _blocking(
    executor: ThreadPoolExecutor, call: Callable[..., T], *args: Any
) -> asyncio.Future[T]:
    return asyncio.get_running_loop().run_in_executor(executor, call, *args)


def _main_pid(container: Container) -> int | None:
    """The container's main process as this machine numbers it (0 once it ended)."""
    with contextlib.suppress(*ENGINE_ERRORS):
        container.reload()
        return int(container.attrs["State"]["Pid"]) or None
    return None


def _connect() -> docker.DockerClient:
    return connect(max_pool_size=MAX_POOL_SIZE)


def _start_all(
    client: docker.DockerClient, spec: TaskSpec, plans: list[ContainerPlan]
) -> list[tuple[ContainerPlan, Container]]:
    """Create and start every container, the load-balanced one first; all or none."""
    started: list[tuple[ContainerPlan, Container]] = []
    try:
        for plan in plans:
            ensure_image(client, plan.image)
        for plan in plans:
            # Only containers after the first join a network, so started[0] exists.
            joins = (
                {"network_mode": f"container:{started[0][1].id}"} if plan.joins_task_network else {}
            )
            container = client.containers.create(plan.image, detach=True, **plan.create, **joins)
            started.append((plan, container))
            container.start()
    except ENGINE_ERRORS as exc:
        for _, container in started:
            _remove(container)
        raise PlatformError(f"task {spec.task_id} could not start: {explain(exc)}") from exc
    return started


def _pump_logs(container: Container, log_path: Path, prefix: str) -> threading.Thread:
    """Append the container's output to the task's log, in a thread that ends with it."""
    thread = threading.Thread(target=_copy_logs, args=(container, log_path, prefix), daemon=True)
    thread.start()
    return thread


def _copy_logs(container: Container, log_path: Path, prefix: str) -> None:
    with contextlib.suppress(*ENGINE_ERRORS), open(log_path, "ab", opener=open_private) as file:
        log = StampedLog(file)  # each line with the time it was read, as the process driver's
        try:
            for chunk in _log_stream(container):
                log.write(_prefixed(chunk, prefix) if prefix else chunk)
        finally:
            log.close()


def _log_stream(container: Container) -> Iterator[bytes]:
    stream: Iterator[bytes] = container.logs(stream=True, follow=True, stdout=True, stderr=True)
    return stream


def _prefixed(chunk: bytes, prefix: str) -> bytes:
    """Lines of a side container, marked with its name in the task's shared log."""
    tag = f"[{prefix}] ".encode()
    return b"".join(tag + line for line in chunk.splitlines(keepends=True))


def _stop(container: Container, timeout: float) -> None:
    with contextlib.suppress(*ENGINE_ERRORS):
        container.stop(timeout=math.ceil(max(0.0, timeout)))  # whole seconds, never sooner


def _remove(container: Container) -> None:
    with contextlib.suppress(*ENGINE_ERRORS):
        container.remove(force=True, v=True)


def _remove_project(client: docker.DockerClient, project_key: str) -> int:
    # The plain listing: the SDK's `containers.list` inspects each one, and fails
    # on a container that goes away meanwhile.
    found = client.api.containers(all=True, filters={"label": f"{LABEL_PROJECT}={project_key}"})
    for row in found:
        with contextlib.suppress(*ENGINE_ERRORS):
            client.api.remove_container(row["Id"], force=True, v=True)
    return len({row["Labels"].get(LABEL_TASK) for row in found})


def _exit_code(text: str) -> int:
    """Docker reports death by signal N as 128+N; the runner expects -N, as for processes."""
    code = int(text)
    return -(code - 128) if 128 < code < 128 + 65 else code


def _resolve(future: asyncio.Future[int], code: int) -> None:
    if not future.done():
        future.set_result(code)


def _note(log_path: Path, message: str) -> None:
    with contextlib.suppress(OSError):
        note(log_path, message)
