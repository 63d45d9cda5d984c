"""The local service: what an ECS service plus its ALB are on this machine.

Two target groups, `a` and `b`, behind a production and a test listener;
one of them serves the stable revision (blue), the other receives the
revision being deployed (green); a successful deployment swaps their roles,
as CodeDeploy swaps an ECS service's target groups. The service owns the
live task set, runs at most one deployment at a time (a `Controller`) and
publishes every event it records to the clients that follow it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..engine.actions import ListenerRole
from ..engine.deployment import Deployment
from ..engine.events import Event, EventKind
from ..errors import PlatformError, UsageError
from ..lb.load_balancer import Listener, LoadBalancer, Target, TargetGroup, TargetState
from ..spec.config import BluegreenConfig
from ..spec.engine_settings import deployment_settings
from ..spec.task_definition import TaskDefinition
from ..tasks.driver import TaskDriver
from ..tasks.runner import Runner, TaskSet
from ..vocabulary import Status
from .controller import Controller
from .recovery import interrupted_message, settings_to_json
from .store import Store

log = logging.getLogger(__name__)

GROUPS = ("a", "b")
RESTORE_TIMEOUT = 120.0
Subscriber = asyncio.Queue[tuple[int, Event]]


class LocalService:
    def __init__(
        self, config: BluegreenConfig, project_dir: Path, state_dir: Path, driver: TaskDriver
    ) -> None:
        self.config = config
        self.project_dir = project_dir
        self.state_dir = state_dir
        self.driver = driver
        self.store = Store(state_dir / "state.db")
        self.runner = Runner(driver, config, project_dir, state_dir)
        self.lb = LoadBalancer()
        self.groups: dict[str, TargetGroup] = {}
        self.listeners: dict[ListenerRole, Listener] = {}
        self.live: TaskSet | None = None
        self.leftover: TaskSet | None = None
        self.live_group = GROUPS[0]
        self.controller: Controller | None = None
        self.targets: dict[str, Target] = {}
        self.subscribers: dict[str, set[Subscriber]] = {}
        self.tasks: set[asyncio.Task[Any]] = set()

    # -- starting and stopping -------------------------------------------------

    async def start(self) -> None:
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
        self._fail_interrupted()
        await self._restore_stable()

    def _fail_interrupted(self) -> None:
        """A deployment the previous daemon did not finish cannot be resumed safely."""
        for row in self.store.unfinished():
            message = interrupted_message(self.store, row)
            self.record(Event(time.time(), row.id, EventKind.STATUS, Status.FAILED, message))
            self.store.update_deployment(row.id, ended=time.time())

    async def _restore_stable(self) -> None:
        """Serve the stable revision again, once its targets pass the health check anew."""
        revision = self.store.stable_revision
        taskdef = self.task_definition(revision)
        if revision is None or taskdef is None:
            return
        task_set = await self.launch(self.live_group, revision, taskdef)
        group = self.groups[self.live_group]
        deadline = time.monotonic() + RESTORE_TIMEOUT
        while (
            group.healthy_count < task_set.count
            and task_set.failure is None
            and time.monotonic() < deadline
        ):
            await asyncio.sleep(0.02)
        self.live = task_set
        self.route({self.live_group: 100})

    async def close(self) -> None:
        """Drain everything: the deployment in flight, then the live task set."""
        if self.controller:
            await self.controller.abandon("the daemon is shutting down")
        self._clear_leftover()
        if self.live:
            await self.terminate(self.live, self.live_group)
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.lb.close()
        self.store.close()

    # -- task sets and routing ---------------------------------------------------

    def task_definition(self, revision: str | None) -> TaskDefinition | None:
        """A registered revision's task definition, typed for the runner."""
        document = self.store.taskdef(revision) if revision else None
        return TaskDefinition.from_document(document) if document else None

    async def launch(
        self, group_name: str, revision: str, taskdef: TaskDefinition, count: int | None = None
    ) -> TaskSet:
        """Start a task set whose tasks register in `group_name` as they come and go."""
        group = self.groups[group_name]
        task_set = self.runner.task_set(group_name, revision, taskdef, count)

        async def registered(task: Any) -> None:
            self.targets[task.task_id] = group.register(task.host, task.port)

        async def exited(task: Any, code: int) -> None:
            target = self.targets.pop(task.task_id, None)
            if target is not None:
                self.track(asyncio.create_task(group.deregister(target)))
            if self.controller:
                self.controller.task_exited(group_name, task, code)

        async def failed(why: str) -> None:
            if self.controller:
                self.controller.task_set_failed(group_name, why)
            else:
                log.error("task set %s of %s could not start: %s", group_name, revision, why)

        task_set.on_start, task_set.on_exit, task_set.on_failure = registered, exited, failed
        await task_set.start()
        return task_set

    async def terminate(self, task_set: TaskSet, group_name: str) -> None:
        """Deregister (drain) every target, then stop the tasks."""
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
        if self.controller:
            self.controller.target_changed(target, new)

    # -- deployments -------------------------------------------------------------

    def deploy(
        self,
        taskdef: dict[str, Any],
        config: BluegreenConfig,
        *,
        rollback_of: str | None = None,
        all_at_once: bool = False,
    ) -> str:
        if self.controller is not None:
            raise PlatformError(
                f"deployment {self.controller.deployment.deployment_id} is in flight; "
                "wait for it, or `bluegreen stop` it first"
            )
        # Typed here, at the API, so a document the runner can't run is refused now.
        TaskDefinition.from_document(taskdef).container(config.service.container)
        revision = self.store.register_revision(taskdef)
        blue = self.live.revision if self.live else None
        settings = deployment_settings(config, revision, blue)
        if all_at_once:
            settings = dataclasses.replace(
                settings, schedule=((0.0, 100),), config_name="all at once (rollback)"
            )
        deployment_id = f"d-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
        self.store.create_deployment(
            deployment_id, revision, blue, settings_to_json(settings), rollback_of=rollback_of
        )
        green = GROUPS[1 - GROUPS.index(self.live_group)]
        self._clear_leftover()
        self.controller = Controller(self, Deployment(deployment_id, settings), config, green)
        self.controller.begin()
        return deployment_id

    def finished(self, controller: Controller, status: Status) -> None:
        """The controller's last word: on success green becomes the live task set."""
        self.store.update_deployment(controller.deployment.deployment_id, ended=time.time())
        if status is Status.SUCCEEDED:
            self.live = controller.green_set
            self.live_group = controller.green_group
            self.store.stable_revision = controller.deployment.settings.revision
        elif controller.green_set and not controller.deployment.state.green_terminated:
            self.leftover = controller.green_set  # stopped without rollback: left as is
        self.controller = None

    def _clear_leftover(self) -> None:
        """Before a new deployment: production back on blue, a green left running drained."""
        self.route({self.live_group: 100})
        if self.leftover is not None:
            green = GROUPS[1 - GROUPS.index(self.live_group)]
            self.track(asyncio.create_task(self.terminate(self.leftover, green)))
            self.leftover = None

    def rollback(self, config: BluegreenConfig, to_revision: str | None) -> str:
        """Inside a deployment (the termination wait included): flip back at once.
        After it: deploy the last good revision again, all at once."""
        if self.controller is not None and to_revision is None:
            self.controller.request_stop(rollback=True)
            return self.controller.deployment.deployment_id
        last = next((r for r in self.store.deployments(100) if r.status is Status.SUCCEEDED), None)
        target = to_revision or (last.blue_revision if last else None)
        taskdef = self.store.taskdef(target) if target else None
        if target is None or taskdef is None:
            raise UsageError(
                f"no revision {target!r} to roll back to" if target else "nothing to roll back to"
            )
        return self.deploy(taskdef, config, rollback_of=last.id if last else None, all_at_once=True)

    # -- the event log -------------------------------------------------------------

    def record(self, event: Event) -> None:
        seq = self.store.append_event(event)
        fields: dict[str, Any] = {"status": event.status.value}
        if event.weights:
            fields["weights"] = event.weights.to_dict()
        if event.kind is EventKind.STATUS:
            fields["message"] = event.message
        self.store.update_deployment(event.deployment_id, **fields)
        for queue in self.subscribers.get(event.deployment_id, set()):
            queue.put_nowait((seq, event))

    @contextlib.contextmanager
    def subscription(self, deployment_id: str) -> Any:
        queue: Subscriber = asyncio.Queue()
        self.subscribers.setdefault(deployment_id, set()).add(queue)
        try:
            yield queue
        finally:
            self.subscribers[deployment_id].discard(queue)
