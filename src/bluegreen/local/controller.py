"""The engine driver: performs one deployment's actions and feeds results back.

The engine (`engine.Deployment`) decides; this performs. Inputs arrive from
many places at once (health changes, task exits, hook processes, probes,
timers, the API) and go through one queue, so the engine sees them one at a
time, in order, and each is written to the store *before* it is handled:
the recorded inputs replay into the same deployment. Slow actions (hooks,
validation, alarms, draining a task set) run as background tasks that
report back through the same queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from ..engine import inputs
from ..engine.actions import (
    Action,
    Finished,
    LaunchTaskSet,
    Record,
    RunHook,
    SetWeights,
    StartValidation,
    StopValidation,
    TerminateTaskSet,
    WakeAt,
    WatchAlarms,
)
from ..engine.deployment import Deployment
from ..engine.events import Event, EventKind
from ..engine.inputs import (
    ContinueRequested,
    HookFinished,
    Input,
    Started,
    StopRequested,
    TaskSetFailed,
    TaskSetReady,
    TaskSetRole,
    Tick,
    ValidationResult,
)
from ..engine.rejections import RejectedInput
from ..gate import Coordinates, GatePlan, Outcome, run_async
from ..lb.load_balancer import Target, TargetState
from ..shell import hook_environment, run_shell
from ..spec.config import BluegreenConfig
from ..tasks.runner import TaskSet
from ..tasks.task_logs import tail
from ..vocabulary import Status
from .alarms import watch_alarms

if TYPE_CHECKING:
    from .service import LocalService

log = logging.getLogger(__name__)

CRASHES_BEFORE_FAILED = 3
ALARM_POLL = 0.25
HOOK_DETAIL_LIMIT = 2000


class Controller:
    def __init__(
        self, service: LocalService, deployment: Deployment, config: BluegreenConfig, green: str
    ) -> None:
        self.service = service
        self.deployment = deployment
        self.config = config
        self.green_group = green
        self.blue_group = service.live_group
        self.green_set: TaskSet | None = None
        self.queue: asyncio.Queue[Input] = asyncio.Queue()
        self.background: set[asyncio.Task[Any]] = set()
        self.validation: asyncio.Task[Any] | None = None
        self.alarms: asyncio.Task[Any] | None = None
        self.crashes = 0
        self.ready_reported = False
        self.loop_task: asyncio.Task[None] | None = None

    @property
    def deployment_id(self) -> str:
        return self.deployment.deployment_id

    def begin(self) -> None:
        self.submit(Started(at=time.time()))
        self.loop_task = asyncio.create_task(self._run())
        self.service.track(self.loop_task)

    def submit(self, item: Input) -> None:
        self.queue.put_nowait(item)

    async def feed(self, item: Input) -> None:
        """`submit` for the probing loops, which await their callback."""
        self.submit(item)

    def request_continue(self) -> None:
        self.submit(ContinueRequested(at=time.time()))

    def request_stop(self, rollback: bool | None) -> None:
        self.submit(StopRequested(at=time.time(), rollback=rollback))

    async def _run(self) -> None:
        try:
            status = await self._drive()
        except Exception as exc:
            log.exception("deployment %s: the controller failed", self.deployment_id)
            status = await self._fail(f"controller error: {exc!r}")
        self.service.finished(self, status)
        await self._settle()

    async def _drive(self) -> Status:
        while True:
            item = await self.queue.get()
            self.service.store.append_input(self.deployment_id, inputs.to_dict(item))
            try:
                actions = self.deployment.handle(item)
            except RejectedInput as exc:  # a late probe, a continue while not waiting
                self.service.record(self._event(EventKind.MESSAGE, f"ignored: {exc}"))
                continue
            for action in actions:
                await self._perform(action)
                if isinstance(action, Finished):
                    return action.status

    async def _fail(self, why: str) -> Status:
        """A bug, not a verdict: put traffic back on blue, drop green, record Failed."""
        self.service.route({self.blue_group: 100})
        self._terminate(TaskSetRole.GREEN)
        self.service.record(self._event(EventKind.STATUS, why, status=Status.FAILED))
        return Status.FAILED

    async def _settle(self) -> None:
        """Stop probing and timers; let task sets finish draining (the service waits
        for this on shutdown, while a next deployment may already start)."""
        for task in list(self.background):
            if not task.get_name().startswith("terminate"):
                task.cancel()
        await asyncio.gather(*self.background, return_exceptions=True)

    async def abandon(self, why: str) -> None:
        """The daemon is going down: stop as a request would, wait for the rollback."""
        self.service.record(self._event(EventKind.MESSAGE, f"stopping: {why}"))
        self.request_stop(rollback=True)
        if self.loop_task:
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(asyncio.shield(self.loop_task), 60)

    # -- performing actions --------------------------------------------------------

    async def _perform(self, action: Action) -> None:
        match action:
            case Record(event):
                self.service.record(event)
            case SetWeights(listener, weights):
                split = {self.green_group: weights.green, self.blue_group: weights.blue}
                self.service.route(split, listener)
            case LaunchTaskSet(task_set, revision, count):
                await self._launch(task_set, revision, count)
            case TerminateTaskSet(task_set):
                self._terminate(task_set)
            case RunHook(event, timeout):
                self._spawn(f"hook-{event}", self._hook(event, timeout))
            case StartValidation():
                self.validation = self._spawn("validation", self._validate(action))
            case StopValidation():
                if self.validation:
                    self.validation.cancel()
            case WatchAlarms(on):
                self._watch_alarms(on)
            case WakeAt(at):
                self._spawn("timer", self._wake_at(at))
            case Finished():
                pass

    def _spawn(self, name: str, work: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.create_task(work, name=name)
        self.background.add(task)
        task.add_done_callback(self.background.discard)
        return task

    async def _launch(self, role: TaskSetRole, revision: str, count: int) -> None:
        taskdef = self.service.task_definition(revision)
        if taskdef is None or role is not TaskSetRole.GREEN:
            self.submit(TaskSetFailed(time.time(), role, f"cannot launch {role} {revision}"))
            return
        self.green_set = await self.service.launch(self.green_group, revision, taskdef, count)

    def _terminate(self, role: TaskSetRole) -> None:
        if role is TaskSetRole.GREEN:
            task_set, group = self.green_set, self.green_group
        else:
            task_set, group = self.service.live, self.blue_group
        if task_set is not None:
            self._spawn(f"terminate-{role}", self.service.terminate(task_set, group))

    async def _wake_at(self, at: float) -> None:
        await asyncio.sleep(max(0.0, at - time.time()))
        self.submit(Tick(at=max(time.time(), at)))

    async def _hook(self, event: Any, timeout: float) -> None:
        result = await run_shell(
            self.config.hooks[str(event)].command,
            cwd=self.service.project_dir,
            env=self._environment(str(event)),
            timeout=timeout,
        )
        detail = f"{result.detail}\n{result.output.strip()[-HOOK_DETAIL_LIMIT:]}".strip()
        self.submit(HookFinished(at=time.time(), event=event, ok=result.ok, detail=detail))

    def _environment(self, event: str) -> dict[str, str]:
        local = self.service.config.local
        return hook_environment(
            self.deployment_id,
            event,
            self.deployment.settings.revision,
            f"http://127.0.0.1:{local.prod_port}",
            f"http://127.0.0.1:{local.test_port}",
        )

    async def _validate(self, action: StartValidation) -> None:
        """The shared gate (the same plan as on AWS, from the same bluegreen.toml);
        the engine's StartValidation comes from that config too."""
        local = self.service.config.local
        test_url = f"http://127.0.0.1:{local.test_port}"
        plan = GatePlan.from_config(self.config, self.service.project_dir, test_url)
        assert plan is not None, "the local test listener always exists"
        prod_url = f"http://127.0.0.1:{local.prod_port}"
        revision = self.deployment.settings.revision
        where = Coordinates(self.deployment_id, revision, prod_url, test_url)
        await run_async(plan, where, self._feed_validation)

    async def _feed_validation(self, outcome: Outcome) -> None:
        item = ValidationResult(outcome.at, outcome.ok, outcome.detail, final=outcome.final)
        await self.feed(item)

    def _watch_alarms(self, on: bool) -> None:
        if self.alarms:
            self.alarms.cancel()
            self.alarms = None
        if on:
            metrics = self.service.groups[self.green_group].metrics
            watch = watch_alarms(
                self.config.deployment.alarms, metrics.snapshot, self.feed, ALARM_POLL
            )
            self.alarms = self._spawn("alarms", watch)

    # -- what the service reports -----------------------------------------------------

    def target_changed(self, target: Target, state: TargetState) -> None:
        if target.group != self.green_group or self.green_set is None:
            return
        self._note_target(target, state)
        if not self.ready_reported and self._healthy_green() >= self.green_set.count:
            self.ready_reported = True
            self.submit(TaskSetReady(at=time.time(), task_set=TaskSetRole.GREEN))
        elif self.ready_reported and state is TargetState.UNHEALTHY:
            why = f"target {target.address} turned unhealthy"
            self.submit(TaskSetFailed(at=time.time(), task_set=TaskSetRole.GREEN, why=why))

    def _healthy_green(self) -> int:
        """Healthy targets of this deployment's tasks (not of a green left draining)."""
        assert self.green_set is not None
        targets = (self.service.targets.get(t.task_id) for t in self.green_set.tasks.values())
        return sum(1 for t in targets if t is not None and t.state is TargetState.HEALTHY)

    def _note_target(self, target: Target, state: TargetState) -> None:
        details = {"target": target.address, "state": str(state), "group": "green"}
        message = f"green target {target.address} {state}"
        self.service.record(self._event(EventKind.TARGET, message, details))

    def _event(
        self,
        kind: EventKind,
        message: str,
        details: dict[str, Any] | None = None,
        status: Status | None = None,
    ) -> Event:
        """An event of the driver's own (targets, shutdown), stamped with the engine's state."""
        return Event(
            time=time.time(),
            deployment_id=self.deployment_id,
            kind=kind,
            status=status or self.deployment.status,
            message=message,
            weights=self.deployment.weights,
            details=details or {},
        )

    def task_set_failed(self, group: str, why: str) -> None:
        """A task could not be started at all: the set fails now, not at the install timeout."""
        role = TaskSetRole.GREEN if group == self.green_group else TaskSetRole.BLUE
        self.submit(TaskSetFailed(at=time.time(), task_set=role, why=why))

    def task_exited(self, group: str, task: Any, code: int) -> None:
        if group != self.green_group or self.ready_reported:
            return
        self.crashes += 1
        if self.crashes == CRASHES_BEFORE_FAILED:
            output = tail(task.log_path)
            last = f"last exit code {code}" + (f", last output: {output}" if output else "")
            why = f"tasks exited {self.crashes} times ({last}); see `bluegreen logs`"
            self.submit(TaskSetFailed(at=time.time(), task_set=TaskSetRole.GREEN, why=why))
