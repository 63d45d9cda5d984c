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
A task set runs with its revision's command and health check; an edit the
running platform cannot apply is refused before anything changes
(`applied_settings`).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import subprocess
import time
import uuid
from collections.abc import Coroutine, Mapping
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest

from ..engine.actions import ListenerRole
from ..engine.deployment import Deployment
from ..engine.events import ALL_BLUE, Event, Weights
from ..engine.inputs import TaskSetRole
from ..errors import PlatformError, Problem, SpecError, UsageError
from ..lb.load_balancer import ProxySettings, TargetState
from ..lb.metrics import MetricsSnapshot
from ..lb.proxy_settings import with_connection_limit
from ..notify import Notifier
from ..runtime.client import GroupView, ListenerView, RuntimeClient, TargetView, TaskSetView
from ..runtime.socket_handoff import HeldSockets
from ..runtime.spawn import reach_runtime
from ..shell import ShellResult, kill_recorded, run_shell
from ..spec.config import BluegreenConfig
from ..spec.engine_settings import deployment_settings
from ..spec.task_definition import TaskDefinition
from ..state_dir import StateDir
from ..tasks.driver import TaskDriver
from ..tasks.drivers import ImageDriverOnDemand
from ..vocabulary import Status
from .applied_settings import refuse_restart_edits
from .clock import SystemClock
from .controller import Controller
from .deployment_metrics import DeploymentCollector, DeploymentFacts
from .event_log import EventLog
from .recovery import settings_to_json
from .restore import adopt, fail_interrupted, restore_stable, runtime_lost, stop_runtime
from .revisions import Revisions, RunnableRevision
from .rollback_target import rollback_target
from .store import STATE_DB, DeploymentRow, Store
from .store_thread import StoreThread

log = logging.getLogger(__name__)

GROUPS = ("a", "b")
HOOKS_DIR = "hooks"
NOTIFY_DRAIN = 300.0
"""How long an ended deployment's webhooks keep retrying (the daemon keeps running)."""
NOTIFY_DRAIN_AT_EXIT = 5.0
REFRESH = 0.1
"""Seconds between two readings of the runtime's traffic during a deployment."""
REFRESH_IDLE = 1.0
LIVE_NOTE = "live_set"


class LocalService:
    def __init__(
        self, config: BluegreenConfig, project_dir: Path, state_dir: Path, driver: TaskDriver
    ) -> None:
        self.config = config
        self.project_dir = project_dir
        self.driver = driver
        self.images = ImageDriverOnDemand(driver, config, state_dir)
        """What resolves revisions of images; under the process driver made when one comes."""
        self.hook_records = state_dir / HOOKS_DIR
        """The hooks running now, each by its mark: what a killed daemon's successor kills."""
        self.store = StoreThread(Store(state_dir / STATE_DB), self._store_failed)
        self.events = EventLog(self.store)
        self.revisions = Revisions.for_driver(
            self.store,
            project_dir,
            state_dir,
            driver.name,
            config.local.keep_snapshots,
            self.images,
        )
        try:  # checked here too, so that `up` says it before a runtime starts
            with_connection_limit(ProxySettings(max_connections=config.local.max_connections))
        except ValueError as exc:  # above what the open-file limit allows
            raise SpecError(Problem("bluegreen.toml", "local.max_connections", str(exc))) from exc
        self.state_dir = StateDir(state_dir)
        self.runtime = RuntimeClient(self._runtime_event, self._runtime_lost)
        """The runtime process: listeners, target groups and tasks (`bluegreen.runtime`)."""
        self.owns_runtime = False
        local = config.local
        self.listening = HeldSockets(
            {
                ListenerRole.PRODUCTION.value: local.prod_port,
                ListenerRole.TEST.value: local.test_port,
            }
        )
        """The listening sockets, handed to each runtime this controller starts."""
        self.runtime_process: subprocess.Popen[bytes] | None = None
        self.refresher: asyncio.Task[None] | None = None
        """Whether `close` stops the runtime: once this controller started or adopted it."""
        self.groups = {name: GroupView(name, self.runtime) for name in GROUPS}
        self.listeners: dict[ListenerRole, ListenerView] = {}
        self.sets: dict[str, TaskSetView] = {}
        self.live: TaskSetView | None = None
        self.green: TaskSetView | None = None
        self.leftover: TaskSetView | None = None
        self.live_group = GROUPS[0]
        self.controller: Controller | None = None
        self.notifier: Notifier | None = None
        """The webhooks of the deployment in flight (its own bluegreen.toml's)."""
        self.last: DeploymentFacts | None = None
        """The deployment that ended last, for /metrics."""
        self._registry = CollectorRegistry(auto_describe=True)
        self._registry.register(DeploymentCollector(self._deployment_facts))
        self.tasks: set[asyncio.Future[Any]] = set()
        self.health_changed = asyncio.Event()
        self.store_fault: Exception | None = None
        """The last write the store refused, which a deploy it refused names."""
        self.prod_url = f"http://127.0.0.1:{config.local.prod_port}"
        self.test_url = f"http://127.0.0.1:{config.local.test_port}"

    @property
    def green_group(self) -> str:
        return GROUPS[1 - GROUPS.index(self.live_group)]

    # -- starting and stopping -------------------------------------------------

    async def start(self) -> None:
        """Reach the runtime (start it when none runs), then either adopt what it runs
        (a controller that died left it serving) or restore the stable revision."""
        self.store.start()
        state = await self.connect_runtime()
        if killed := await asyncio.to_thread(kill_recorded, self.hook_records):
            log.warning("killed %d process(es) a hook of the last controller left", len(killed))
        self.refresher = asyncio.create_task(self._refresh())
        if state["sets"]:
            await adopt(self, state)
        else:
            await fail_interrupted(self)
            await restore_stable(self)
        self.send("serve")  # in order: after the weights `route` sent

    async def connect_runtime(self) -> dict[str, Any]:
        """Reach the runtime, or start one; give it the listeners and groups (it keeps
        the ones it has); its state, mirrored."""
        local = self.config.local
        self.runtime_process = await reach_runtime(self.runtime, self.state_dir, self.listening)
        self.owns_runtime = self.runtime_process is not None
        group = {
            "health": self.config.health_check.model_dump(mode="json"),
            "deregistration_delay": local.deregistration_delay,
            "upgrade_grace": local.upgrade_grace_seconds,
        }
        state = await self.runtime.call(
            "configure",
            config=self.config.model_dump(mode="json"),
            project_dir=str(self.project_dir),
            clean_images=await self.store.call(Store.runs_images),
            listeners=self.listening.ports,
            groups=dict.fromkeys(GROUPS, group),
        )
        self.owns_runtime = True
        self.runtime.mirror(state)
        self.listeners = {role: ListenerView(state["weights"][role.value]) for role in ListenerRole}
        return state

    def set_live(self, task_set: TaskSetView) -> None:
        """Blue is this set from now on; the runtime keeps the note for a controller
        that comes back after this one died."""
        self.live, self.live_group = task_set, task_set.name
        self.send("note", key=LIVE_NOTE, value=task_set.id)

    async def close(self) -> None:
        """Drain everything: the deployment in flight, then the live task set; then
        the runtime stops (it drains what is left itself)."""
        if self.controller:
            await self.controller.abandon("the daemon is shutting down")
        self._retire_notifier(timeout=NOTIFY_DRAIN_AT_EXIT)
        self._clear_leftover()
        if self.live:
            with contextlib.suppress(PlatformError):  # a runtime gone has stopped them
                await self._terminate(self.live, self.live_group)
        if self.refresher is not None:
            self.refresher.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.listening.close()  # the runtime's own copies serve until it stops
        if self.owns_runtime:
            await stop_runtime(self.runtime, self.state_dir)
        await self.runtime.close()
        await self.store.close()

    def stop_bound(self) -> float:
        """How long `close` may take to drain, at most: the task sets stop one after
        another (a deployment's green, then the live set); a set's drain ends
        within the upgrade grace, its tasks are signalled within the delay and
        killed a stop timeout later."""
        sets = [s for s in (self.live, self.green, self.leftover) if s is not None]
        local = self.config.local
        ends = (
            max(local.upgrade_grace_seconds, local.deregistration_delay + s.stop_timeout)
            for s in sets
        )
        return sum(ends)

    # -- task sets and routing, in the runtime -------------------------------------

    async def _launch(
        self,
        group_name: str,
        runnable: RunnableRevision,
        config: BluegreenConfig,
        count: int | None = None,
    ) -> TaskSetView:
        """Start a task set whose tasks the runtime registers in `group_name` as they
        come and go, run and health checked with the revision's own settings over
        `config`."""
        data = await self.runtime.call(
            "launch",
            group=group_name,
            revision=runnable.revision,
            taskdef=runnable.taskdef.model_dump(mode="json", by_alias=True),
            config=runnable.config(config).model_dump(mode="json"),
            count=count,
            workdir=str(runnable.workdir) if runnable.workdir else None,
            images=runnable.driver is not None,
        )
        task_set = self.sets[data["id"]] = TaskSetView.from_json(data)
        return task_set

    async def _terminate(self, task_set: TaskSetView | None, group_name: str) -> None:
        """Stop the tasks in the runtime, all at once, each deregistered (draining)
        before its SIGTERM; over when every task has exited and every drain has
        ended. (`group_name` is the set's own; kept for the callers' symmetry.)"""
        if task_set is None:
            return
        try:
            await self.runtime.call("terminate", set_id=task_set.id)
        finally:
            self.sets.pop(task_set.id, None)

    def track(self, task: asyncio.Future[Any]) -> None:
        """Work that must end before the daemon does (a controller still draining)."""
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def send(self, op: str, **args: Any) -> None:
        """A runtime call nobody waits for; the runtime performs calls in the order
        sent, so a later `set_weights` never overtakes an earlier one."""

        async def call() -> None:
            try:
                await self.runtime.call(op, **args)
            except PlatformError as exc:
                log.error("runtime: %s failed: %s", op, exc)

        self.track(asyncio.create_task(call()))

    def route(self, weights: Mapping[str, int], role: ListenerRole | None = None) -> None:
        full = {name: weights.get(name, 0) for name in GROUPS}
        for listener_role, listener in self.listeners.items():
            if role is None or role is listener_role:
                listener.weights = full
        self.send("set_weights", weights=full, listener=role.value if role else None)

    def _runtime_event(self, event: dict[str, Any]) -> None:
        """A target changed, a task exited or a set could not start, in the runtime."""
        self.health_changed.set()
        kind, task_set = event["event"], self.sets.get(event.get("set", ""))
        if kind == "target":
            target = TargetView.from_json(event["target"])
            if self.controller and target.group == self.green_group:
                self.controller.green_target_changed(target.address, target.state, target.reason)
        elif kind == "task_exited" and task_set is not None:
            if self.controller and task_set.name == self.green_group:
                self.controller.green_task_exited(event["code"], event["output"])
        elif kind == "task_set_failed" and task_set is not None:
            task_set.failure = event["why"]
            if self.controller:
                green = task_set.name == self.green_group
                role = TaskSetRole.GREEN if green else TaskSetRole.BLUE
                self.controller.task_set_failed(role, event["why"])

    def _runtime_lost(self) -> None:
        self.track(asyncio.create_task(runtime_lost(self)))

    async def _refresh(self) -> None:
        """Keep the traffic readings current: as often as the alarms poll during a
        deployment, now and then otherwise (the dashboard's numbers)."""
        while True:  # through a runtime's death and the next one's start; `close` ends it
            with contextlib.suppress(PlatformError):
                await self.runtime.refresh()
            await asyncio.sleep(REFRESH if self.controller else REFRESH_IDLE)

    # -- the ControlPort the controller drives -----------------------------------------

    async def persist_input(self, deployment_id: str, payload: dict[str, Any]) -> None:
        await self.store.call(lambda store: store.append_input(deployment_id, payload))

    async def launch_green(self, revision: str, count: int) -> None:
        runnable = await self.revisions.get(revision)
        if runnable is None or self.controller is None:
            raise PlatformError(f"revision {revision} is not registered, or not deploying")
        self.green = await self._launch(self.green_group, runnable, self.controller.config, count)

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
        green = self.green.id
        targets = self.runtime.targets.values()
        return sum(1 for t in targets if t.set_id == green and t.state is TargetState.HEALTHY)

    def misbound_green(self) -> str | None:
        """A green task whose checks are refused while it listens on another port
        (as the runtime's last refresh found it)."""
        return self.runtime.misbound.get(self.green.id) if self.green else None

    def targets_now(self) -> list[dict[str, Any]]:
        """Every target as `status` shows it: task set, address, state, reason."""
        roles = {self.live_group: "blue", self.green_group: "green"}
        groups = self.groups.items()
        return [{"task_set": roles[n], **t.health()} for n, g in groups for t in g.targets]

    def green_metrics(self, window: float) -> MetricsSnapshot:
        return self.groups[self.green_group].metrics.snapshot(window)

    async def run_hook(
        self, command: str, env: Mapping[str, str], timeout: float, cwd: Path
    ) -> ShellResult:
        record = self.hook_records
        return await run_shell(command, cwd=cwd, env=dict(env), timeout=timeout, record=record)

    def finished(self, deployment_id: str, status: Status, green_left_running: bool) -> None:
        """The controller's last word: on success green becomes the live task set."""
        self._ended(deployment_id)
        if self.controller is not None:
            settings = self.controller.deployment.settings
            self.last = DeploymentFacts(
                deployment_id, status, settings.revision, settings.blue_revision
            )
        if status is Status.SUCCEEDED and self.green is not None:
            self.set_live(self.green)
            revision = self.green.revision
            self.store.write("stable revision", lambda s: setattr(s, "stable_revision", revision))
        elif green_left_running:
            self.leftover = self.green  # stopped without rollback: left as is
        self.green = None
        self.controller = None
        self._retire_notifier()
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

    async def deploy(
        self,
        taskdef: dict[str, Any],
        config: BluegreenConfig,
        started_by: str = "",
        image: str | None = None,
    ) -> str:
        """A new deployment of `taskdef` (`image`: what `--image` gave, whose revision
        the Docker driver runs, whichever the daemon's is)."""
        await self._after_the_ending()
        self._refuse_if_busy()
        await self.events.save_endings()
        refuse_restart_edits(self.config, config)
        # Typed here, at the API, so a document the runner can't run is refused now.
        TaskDefinition.from_document(taskdef).container(config.service.container)
        runs_images = image is not None or self.images.made is self.driver
        engine = await self.images(f"--image {image}") if runs_images else None
        runnable = await self.revisions.register(taskdef, config, engine)
        begun = self._begin(
            runnable, config, rollback_of=None, all_at_once=False, started_by=started_by
        )
        return await self._created(begun)

    def _begin(
        self,
        runnable: RunnableRevision,
        config: BluegreenConfig,
        *,
        rollback_of: str | None,
        all_at_once: bool,
        started_by: str,
    ) -> str:
        """Start a deployment of a registered revision, its own settings over `config`;
        `started_by` says who asked. Not a coroutine: nothing between the revision's
        lookup and the deployment's start lets a prune remove its snapshot."""
        self._refuse_if_busy()  # another deploy may have begun while the store worked
        revision, config = runnable.revision, runnable.config(config)
        self.revisions.keep = config.local.keep_snapshots
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
                deployment_id, revision, blue, saved, rollback_of=rollback_of, started_by=started_by
            ),
        )
        self._clear_leftover()
        self._retire_notifier()
        self.notifier = Notifier(
            config.notifications, service=config.service.name, platform="local"
        )
        deployment = Deployment(deployment_id, settings)
        self.controller = Controller(self, SystemClock(), deployment, config, runnable.workdir)
        self.track(self.controller.begin())
        return deployment_id

    async def _created(self, deployment_id: str) -> str:
        """The id, once its row is written: a store that refused it is said now, in one
        line, rather than by a `status` that finds no such deployment."""
        if await self.store.call(lambda store: store.deployment(deployment_id)) is None:
            raise self.store_fault or PlatformError(f"deployment {deployment_id} was not stored")
        return deployment_id

    async def _after_the_ending(self) -> None:
        """A deployment that has its verdict but still stops a task set: a new deploy
        or rollback waits for it (within the drain's bound) instead of being refused,
        so `stop` then `rollback` works as typed."""
        controller = self.controller
        if controller is None or controller.loop_task is None:
            return
        if controller.deployment.status.terminal:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(controller.loop_task), self.stop_bound())

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

    async def rollback(
        self, config: BluegreenConfig, to_revision: str | None, started_by: str = ""
    ) -> str:
        """Inside a deployment (the termination wait included): flip back at once.
        After it: deploy again, all at once, `to_revision` or the rollback target
        (`rollback_target`: the newest revision other than the one serving that
        served after a Succeeded deployment and was not rolled away from)."""
        await self._after_the_ending()
        await self.events.save_endings()
        if self.controller is not None and to_revision is None:
            self._refuse_if_ending(self.controller)
            self.controller.request_stop(rollback=True)
            return self.controller.deployment_id
        refuse_restart_edits(self.config, config)
        target = rollback_target(await self.history(None), to_revision)
        # The revision itself, not its definition registered again: that would
        # snapshot today's files and make a new revision of them.
        runnable = await self.revisions.get(target.revision)
        if runnable is None:
            raise UsageError(f"no revision {target.revision!r} to roll back to")
        runnable.taskdef.container(runnable.config(config).service.container)
        return await self._created(
            self._begin(
                runnable,
                config,
                rollback_of=target.undoes,
                all_at_once=True,
                started_by=started_by,
            )
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
        self._refuse_if_ending(controller)
        return controller

    @staticmethod
    def _refuse_if_ending(controller: Controller) -> None:
        """A deployment that has its verdict but still stops a task set takes no input."""
        status = controller.deployment.status
        if status.terminal:
            raise PlatformError(
                f"deployment {controller.deployment_id} has its verdict ({status.value}) and "
                "is stopping a task set; try again once it has (`bluegreen status --watch`)"
            )

    async def status(self, wanted: str) -> DeploymentRow:
        """A deployment by id, or the newest for `latest`; every write before is seen."""
        row = await self.store.call(
            lambda store: store.deployment(None if wanted == "latest" else wanted)
        )
        if row is None:
            raise UsageError(
                f"no deployment {wanted!r}" if wanted != "latest" else "no deployments yet"
            )
        return self.events.as_known(row)

    async def history(self, limit: int | None) -> list[DeploymentRow]:
        """Newest first; every deployment with `limit=None`."""
        rows = await self.store.call(lambda store: store.deployments(limit))
        return [self.events.as_known(row) for row in rows]

    async def metrics_text(self) -> bytes:
        labels = {name: list(self.group_labels(name)) for name in GROUPS}
        text: str = await self.runtime.call("metrics_text", labels=labels)
        return text.encode() + generate_latest(self._registry)

    def _deployment_facts(self) -> DeploymentFacts | None:
        if self.controller is None:
            return self.last
        deployment = self.controller.deployment
        settings = deployment.settings
        return DeploymentFacts(
            deployment.deployment_id, deployment.status, settings.revision, settings.blue_revision
        )

    def group_labels(self, name: str) -> tuple[str, str]:
        """A target group's role and revision now: blue serves, green is deployed."""
        for role, task_set, group in (
            ("blue", self.live, self.live_group),
            ("green", self.green, self.green_group),
        ):
            if task_set is not None and group == name:
                return role, task_set.revision
        if self.leftover is not None and name == self.green_group:
            return "", self.leftover.revision
        return "", ""

    # -- the event log -------------------------------------------------------------

    def record(self, event: Event) -> None:
        self.events.record(event)
        if self.notifier is not None:
            self.notifier.publish(event)

    def _retire_notifier(self, timeout: float = NOTIFY_DRAIN) -> None:
        """Let the ended deployment's webhooks drain on a thread; log what is lost."""
        notifier, self.notifier = self.notifier, None
        if notifier is None:
            return

        async def drain() -> None:
            for lost in await asyncio.to_thread(notifier.close, timeout):
                log.warning("notification not delivered: %s", lost)

        self.track(asyncio.create_task(drain()))

    def _store_failed(self, what: str, error: BaseException) -> None:
        """A write nobody awaited failed: the log says so, and the deployment in flight
        ends on it (its followers still get its events, unstored)."""
        log.error("store: writing the %s failed: %s", what, error)
        self.store_fault = error if isinstance(error, Exception) else None
        if self.controller is not None and isinstance(error, Exception):
            self.controller.store_failed(error)
