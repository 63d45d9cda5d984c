"""The local service: what an ECS service plus its ALB are on this machine.

Two target groups, `a` and `b`, behind a production and a test listener;
one of them serves the stable revision (blue), the other receives the
revision being deployed (green); a successful deployment swaps their roles,
as CodeDeploy swaps an ECS service's target groups. The service owns the
live task set, runs at most one deployment at a time (a `Controller`, which
it serves as its `ControlPort`), publishes every event it records to the
clients that follow it, and offers the API its verbs (deploy, continue,
stop, rollback, status, history). The store is reached only through its
thread, so the loop that proxies traffic never waits on SQLite.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
import uuid
from collections.abc import Coroutine, Mapping
from pathlib import Path
from typing import Any

from ..engine.actions import ListenerRole
from ..engine.deployment import Deployment
from ..engine.events import ALL_BLUE, Event, EventKind, Weights
from ..engine.inputs import TaskSetRole
from ..errors import PlatformError, UsageError
from ..lb.load_balancer import Listener, LoadBalancer, Target, TargetGroup, TargetState
from ..lb.metrics import MetricsSnapshot
from ..shell import ShellResult, run_shell
from ..spec.config import BluegreenConfig
from ..spec.engine_settings import deployment_settings
from ..spec.task_definition import TaskDefinition
from ..tasks.driver import TaskDriver
from ..tasks.runner import Runner, TaskSet
from ..tasks.task_logs import tail
from ..vocabulary import Status
from .clock import SystemClock
from .controller import Controller
from .event_log import UNSTORED, EventLog
from .recovery import interrupted_message, settings_to_json
from .revisions import Revisions, RunnableRevision
from .store import DeploymentRow, Store
from .store_thread import StoreThread

log = logging.getLogger(__name__)

GROUPS = ("a", "b")
RESTORE_TIMEOUT = 120.0


class LocalService:
    def __init__(
        self, config: BluegreenConfig, project_dir: Path, state_dir: Path, driver: TaskDriver
    ) -> None:
        self.config = config
        self.project_dir = project_dir
        self.driver = driver
        self.store = StoreThread(Store(state_dir / "state.db"), self._store_failed)
        self.events = EventLog(self.store)
        self.revisions = Revisions.for_driver(
            self.store, project_dir, state_dir, driver.name, config.local.keep_snapshots
        )
        self.runner = Runner(driver, config, project_dir, state_dir)
        self.lb = LoadBalancer()
        self.groups: dict[str, TargetGroup] = {}
        self.listeners: dict[ListenerRole, Listener] = {}
        self.live: TaskSet | None = None
        self.green: TaskSet | None = None
        self.leftover: TaskSet | None = None
        self.live_group = GROUPS[0]
        self.controller: Controller | None = None
        self.targets: dict[str, Target] = {}
        self.tasks: set[asyncio.Task[Any]] = set()
        self.health_changed = asyncio.Event()
        self.prod_url = f"http://127.0.0.1:{config.local.prod_port}"
        self.test_url = f"http://127.0.0.1:{config.local.test_port}"

    @property
    def green_group(self) -> str:
        return GROUPS[1 - GROUPS.index(self.live_group)]

    # -- starting and stopping -------------------------------------------------

    async def start(self) -> None:
        self.store.start()
        local = self.config.local
        for name in GROUPS:
            group = self.lb.add_target_group(
                name, self.config.health_check, deregistration_delay=local.deregistration_delay
            )
            group.subscribe(self._target_changed)
            self.groups[name] = group
        for role, port in (
            (ListenerRole.PRODUCTION, local.prod_port),
            (ListenerRole.TEST, local.test_port),
        ):
            try:
                self.listeners[role] = await self.lb.add_listener(role.value, port)
            except OSError as exc:
                raise PlatformError(f"cannot listen on 127.0.0.1:{port} ({role}): {exc}") from exc
        # The key the runner labels tasks with (LABEL_PROJECT): the project directory.
        await self.driver.cleanup_orphans(str(self.project_dir))
        await self._fail_interrupted()
        await self._restore_stable()

    async def _fail_interrupted(self) -> None:
        """A deployment the previous daemon did not finish cannot be resumed safely."""
        interrupted = await self.store.call(
            lambda store: [(row, interrupted_message(store, row)) for row in store.unfinished()]
        )
        for row, message in interrupted:
            self.record(Event(time.time(), row.id, EventKind.STATUS, Status.FAILED, message))
            self._ended(row.id)

    async def _restore_stable(self) -> None:
        """Serve the stable revision again, once its targets pass the health check anew."""
        name = await self.store.call(lambda store: store.stable_revision)
        stable = await self.revisions.get(name) if name else None
        if stable is None:
            return
        revision = stable.revision
        task_set = await self._launch(self.live_group, stable)
        group = self.groups[self.live_group]
        try:
            async with asyncio.timeout(RESTORE_TIMEOUT):
                await self._until_healthy(group, task_set)
        except TimeoutError:
            log.warning(
                "%s: %d of %d targets healthy after %gs; serving it anyway",
                revision,
                group.healthy_count,
                task_set.count,
                RESTORE_TIMEOUT,
            )
        self.live = task_set
        self.route({self.live_group: 100})

    async def _until_healthy(self, group: TargetGroup, task_set: TaskSet) -> None:
        """Wait on target state changes (not a polling sleep) until every task is healthy,
        or the task set failed to start."""
        while True:
            self.health_changed.clear()
            if group.healthy_count >= task_set.count or task_set.failure is not None:
                return
            await self.health_changed.wait()

    async def close(self) -> None:
        """Drain everything: the deployment in flight, then the live task set."""
        if self.controller:
            await self.controller.abandon("the daemon is shutting down")
        self._clear_leftover()
        if self.live:
            await self._terminate(self.live, self.live_group)
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.lb.close()
        await self.store.close()

    # -- task sets and routing ---------------------------------------------------

    async def _launch(
        self, group_name: str, runnable: RunnableRevision, count: int | None = None
    ) -> TaskSet:
        """Start a task set whose tasks register in `group_name` as they come and go."""
        group = self.groups[group_name]
        revision = runnable.revision
        task_set = self.runner.task_set(
            group_name, revision, runnable.taskdef, count, runnable.workdir
        )

        async def registered(task: Any) -> None:
            self.targets[task.task_id] = group.register(task.host, task.port)

        async def exited(task: Any, code: int) -> None:
            target = self.targets.pop(task.task_id, None)
            if target is not None:
                self.track(asyncio.create_task(group.deregister(target)))
            if self.controller and group_name == self.green_group:
                self.controller.green_task_exited(code, tail(task.log_path))

        async def failed(why: str) -> None:
            self.health_changed.set()  # a restore waiting for this set stops waiting
            if self.controller:
                role = TaskSetRole.GREEN if group_name == self.green_group else TaskSetRole.BLUE
                self.controller.task_set_failed(role, why)
            else:
                log.error("task set %s of %s could not start: %s", group_name, revision, why)

        task_set.on_start, task_set.on_exit, task_set.on_failure = registered, exited, failed
        await task_set.start()
        return task_set

    async def _terminate(self, task_set: TaskSet | None, group_name: str) -> None:
        """Deregister (drain) every target, then stop the tasks."""
        if task_set is None:
            return
        group = self.groups[group_name]

        async def drain(task: Any) -> None:
            target = self.targets.pop(task.task_id, None)
            if target is not None:
                await group.deregister(target)

        await task_set.stop(deregister=drain)

    def track(self, task: asyncio.Task[Any]) -> None:
        """Work that must end before the daemon does (a controller still draining)."""
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def route(self, weights: Mapping[str, int], role: ListenerRole | None = None) -> None:
        full = {name: weights.get(name, 0) for name in GROUPS}
        for listener_role, listener in self.listeners.items():
            if role is None or role is listener_role:
                listener.set_weights(full)

    def _target_changed(self, target: Target, old: TargetState, new: TargetState) -> None:
        self.health_changed.set()
        if self.controller and target.group == self.green_group:
            self.controller.green_target_changed(target.address, new)

    # -- the ControlPort the controller drives -----------------------------------------

    async def persist_input(self, deployment_id: str, payload: dict[str, Any]) -> None:
        await self.store.call(lambda store: store.append_input(deployment_id, payload))

    async def launch_green(self, revision: str, count: int) -> None:
        runnable = await self.revisions.get(revision)
        if runnable is None:
            raise PlatformError(f"revision {revision} is not registered")
        self.green = await self._launch(self.green_group, runnable, count)

    def terminate(self, role: TaskSetRole) -> Coroutine[Any, Any, None]:
        """The task set is chosen now, not when the drain begins: by then a success
        may have made green the live set."""
        if role is TaskSetRole.GREEN:
            return self._terminate(self.green, self.green_group)
        return self._terminate(self.live, self.live_group)

    def set_weights(self, weights: Weights, listener: ListenerRole | None = None) -> None:
        self.route({self.green_group: weights.green, self.live_group: weights.blue}, listener)

    def healthy_green(self) -> int:
        """Healthy targets of this deployment's tasks (not of a green left draining)."""
        if self.green is None:
            return 0
        targets = (self.targets.get(t.task_id) for t in self.green.tasks.values())
        return sum(1 for t in targets if t is not None and t.state is TargetState.HEALTHY)

    def green_metrics(self, window: float) -> MetricsSnapshot:
        return self.groups[self.green_group].metrics.snapshot(window)

    async def run_hook(self, command: str, env: Mapping[str, str], timeout: float) -> ShellResult:
        return await run_shell(command, cwd=self.project_dir, env=dict(env), timeout=timeout)

    def finished(self, deployment_id: str, status: Status, green_left_running: bool) -> None:
        """The controller's last word: on success green becomes the live task set."""
        self._ended(deployment_id)
        if status is Status.SUCCEEDED and self.green is not None:
            self.live, self.live_group = self.green, self.green_group
            revision = self.green.revision
            self.store.write("stable revision", lambda s: setattr(s, "stable_revision", revision))
        elif green_left_running:
            self.leftover = self.green  # stopped without rollback: left as is
        self.green = None
        self.controller = None
        self.track(asyncio.create_task(self.revisions.prune(self._running_revisions)))

    def _running_revisions(self) -> list[str]:
        """Revisions with tasks, and the one a deployment in flight starts."""
        running = [s.revision for s in (self.live, self.green, self.leftover) if s is not None]
        if self.controller is not None:
            running.append(self.controller.deployment.settings.revision)
        return running

    def _ended(self, deployment_id: str) -> None:
        ended = time.time()
        self.store.write("end", lambda s: s.update_deployment(deployment_id, ended=ended))

    # -- the verbs the API offers ------------------------------------------------------

    async def deploy(self, taskdef: dict[str, Any], config: BluegreenConfig) -> str:
        self._refuse_if_busy()
        # Typed here, at the API, so a document the runner can't run is refused now.
        TaskDefinition.from_document(taskdef).container(config.service.container)
        revision = await self.revisions.register(taskdef)
        return await self._begin(revision, config, rollback_of=None, all_at_once=False)

    async def _begin(
        self, revision: str, config: BluegreenConfig, *, rollback_of: str | None, all_at_once: bool
    ) -> str:
        """Start a deployment of a registered revision."""
        self._refuse_if_busy()  # another deploy may have begun while the store worked
        blue = self.live.revision if self.live else None
        settings = deployment_settings(config, revision, blue)
        if all_at_once:
            settings = dataclasses.replace(
                settings, schedule=((0.0, 100),), config_name="all at once (rollback)"
            )
        deployment_id = f"d-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
        saved = settings_to_json(settings)
        self.store.write(
            "create deployment",
            lambda s: s.create_deployment(
                deployment_id, revision, blue, saved, rollback_of=rollback_of
            ),
        )
        self._clear_leftover()
        self.controller = Controller(
            self, SystemClock(), Deployment(deployment_id, settings), config
        )
        self.track(self.controller.begin())
        return deployment_id

    def _refuse_if_busy(self) -> None:
        if self.controller is not None:
            raise PlatformError(
                f"deployment {self.controller.deployment_id} is in flight; "
                "wait for it, or `bluegreen stop` it first"
            )

    def _clear_leftover(self) -> None:
        """Before a new deployment: production back on blue, a green left running drained."""
        self.set_weights(ALL_BLUE)
        if self.leftover is not None:
            self.track(asyncio.create_task(self._terminate(self.leftover, self.green_group)))
            self.leftover = None

    async def rollback(self, config: BluegreenConfig, to_revision: str | None) -> str:
        """Inside a deployment (the termination wait included): flip back at once.
        After it: deploy the last good revision again, all at once."""
        if self.controller is not None and to_revision is None:
            self.controller.request_stop(rollback=True)
            return self.controller.deployment_id
        last = next((r for r in await self.history(100) if r.status is Status.SUCCEEDED), None)
        target = to_revision or (last.blue_revision if last else None)
        # The revision itself, not its definition registered again: that would
        # snapshot today's files and make a new revision of them.
        runnable = await self.revisions.get(target) if target else None
        if target is None or runnable is None:
            raise UsageError(
                f"no revision {target!r} to roll back to" if target else "nothing to roll back to"
            )
        runnable.taskdef.container(config.service.container)
        return await self._begin(
            target, config, rollback_of=last.id if last else None, all_at_once=True
        )

    async def continue_deployment(self, wanted: str) -> str:
        controller = await self._in_flight(wanted)
        controller.request_continue()
        return controller.deployment_id

    async def stop(self, wanted: str, rollback: bool | None) -> str:
        controller = await self._in_flight(wanted)
        controller.request_stop(rollback=rollback)
        return controller.deployment_id

    async def _in_flight(self, wanted: str) -> Controller:
        """The deployment in flight, if it is the one asked for (`latest`: whichever)."""
        row = await self.status(wanted)
        controller = self.controller
        if controller is None or wanted not in ("latest", controller.deployment_id):
            raise UsageError(f"no deployment in flight: {row.id} is {row.status.value}")
        return controller

    async def status(self, wanted: str) -> DeploymentRow:
        """A deployment by id, or the newest for `latest`; every write before is seen."""
        row = await self.store.call(
            lambda store: store.deployment(None if wanted == "latest" else wanted)
        )
        if row is None:
            raise UsageError(
                f"no deployment {wanted!r}" if wanted != "latest" else "no deployments yet"
            )
        return row

    async def history(self, limit: int) -> list[DeploymentRow]:
        return await self.store.call(lambda store: store.deployments(limit))

    def metrics_text(self) -> bytes:
        return self.lb.metrics_text()

    # -- the event log -------------------------------------------------------------

    def record(self, event: Event) -> None:
        self.events.record(event)

    def _store_failed(self, what: str, error: BaseException) -> None:
        """A write nobody awaited failed: the log says so, and so do the followers."""
        log.error("store: writing the %s failed: %r", what, error)
        if self.controller is None:
            return
        message = f"store: writing the {what} failed: {error!r}"
        self.events.publish(UNSTORED, self.controller.event(EventKind.MESSAGE, message))
