"""The engine driver: performs one deployment's actions and feeds results back.

The engine (`engine.Deployment`) decides; this performs, through a narrow
`ControlPort` (task sets, listeners, the store, hooks) and a `Clock`, so it
knows nothing of the service behind them and its unit tests need neither.
Inputs arrive from many places at once (health changes, task exits, hook
processes, probes, timers, the API) and go through one queue, so the engine
sees them one at a time, in order, and each is written to the store *before*
it is handled: the recorded inputs replay into the same deployment. Slow
actions (hooks, validation, alarms, draining a task set) run as background
tasks that report back through the same queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any

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
from ..engine.events import ALL_BLUE, Event, EventKind
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
from ..engine.rejections import RejectedInput, StaleInput
from ..gate import Coordinates, GatePlan, Outcome, run_async
from ..lb.target import TargetState
from ..shell import hook_environment
from ..spec.config import BluegreenConfig
from ..vocabulary import LifecycleEvent, Status
from .alarms import watch_alarms
from .clock import Clock
from .control_port import ControlPort

log = logging.getLogger(__name__)

CRASHES_BEFORE_FAILED = 3
ALARM_POLL = 0.25
HOOK_DETAIL_LIMIT = 2000


class Controller:
    def __init__(
        self, port: ControlPort, clock: Clock, deployment: Deployment, config: BluegreenConfig
    ) -> None:
        self.port = port
        self.clock = clock
        self.deployment = deployment
        self.config = config
        self.queue: asyncio.Queue[Input] = asyncio.Queue()
        self.background: set[asyncio.Task[Any]] = set()
        self.validation: asyncio.Task[Any] | None = None
        self.alarms: asyncio.Task[Any] | None = None
        self.green_count: int | None = None  # set once green's tasks are launched
        self.green_terminated = False
        self.crashes = 0
        self.ready_reported = False
        self.loop_task: asyncio.Task[None] | None = None

    @property
    def deployment_id(self) -> str:
        return self.deployment.deployment_id

    def begin(self) -> asyncio.Task[None]:
        """Start driving; the task ends once the deployment is over and settled."""
        self.submit(Started(at=self.clock.now()))
        self.loop_task = asyncio.create_task(self._run(), name=f"controller-{self.deployment_id}")
        return self.loop_task

    def submit(self, item: Input) -> None:
        self.queue.put_nowait(item)

    async def feed(self, item: Input) -> None:
        """`submit` for the probing loops, which await their callback."""
        self.submit(item)

    def request_continue(self) -> None:
        self.submit(ContinueRequested(at=self.clock.now()))

    def request_stop(self, rollback: bool | None) -> None:
        self.submit(StopRequested(at=self.clock.now(), rollback=rollback))

    async def _run(self) -> None:
        try:
            status = await self._drive()
        except Exception as exc:
            log.exception("deployment %s: the controller failed", self.deployment_id)
            status = self._fail(f"controller error: {exc!r}")
        green_left = self.green_count is not None and not self.green_terminated
        try:
            self.port.finished(self.deployment_id, status, green_left)
        finally:
            await self._settle()

    async def _drive(self) -> Status:
        while True:
            item = await self.queue.get()
            await self.port.persist_input(self.deployment_id, inputs.to_dict(item))
            try:
                actions = self.deployment.handle(item)
            except StaleInput as exc:  # a probe in flight when validation passed: harmless
                log.debug("%s: %s", self.deployment_id, exc)
                continue
            except RejectedInput as exc:  # a continue while not waiting: the user is told
                self.port.record(self.event(EventKind.MESSAGE, f"ignored: {exc}"))
                continue
            for action in actions:
                await self._perform(action)
                if isinstance(action, Finished):
                    return action.status

    def _fail(self, why: str) -> Status:
        """A bug, not a verdict: put traffic back on blue, drop green, record Failed.
        The port may be what failed, so each step is tried even if one before fails."""
        steps = (
            lambda: self.port.set_weights(ALL_BLUE),
            lambda: self._terminate(TaskSetRole.GREEN),
            lambda: self.port.record(self.event(EventKind.STATUS, why, status=Status.FAILED)),
        )
        for step in steps:
            try:
                step()
            except Exception:
                log.exception("deployment %s: undoing after the failure failed", self.deployment_id)
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
        self.port.record(self.event(EventKind.MESSAGE, f"stopping: {why}"))
        self.request_stop(rollback=True)
        if self.loop_task:
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(asyncio.shield(self.loop_task), 60)

    # -- performing actions --------------------------------------------------------

    async def _perform(self, action: Action) -> None:
        match action:
            case Record(event):
                self.port.record(event)
            case SetWeights(listener, weights):
                self.port.set_weights(weights, listener)
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
        """A launch the port refuses is green failing, reported as the engine expects."""
        try:
            if role is not TaskSetRole.GREEN:
                raise ValueError("only green is launched by a deployment")
            await self.port.launch_green(revision, count)
        except Exception as exc:
            log.warning("deployment %s: cannot launch %s: %s", self.deployment_id, role, exc)
            why = f"cannot launch {role} {revision}: {exc}"
            self.submit(TaskSetFailed(self.clock.now(), role, why))
            return
        self.green_count = count
        self._check_ready()

    def _terminate(self, role: TaskSetRole) -> None:
        if role is TaskSetRole.GREEN:
            if self.green_count is None or self.green_terminated:
                return
            self.green_terminated = True
        self._spawn(f"terminate-{role}", self.port.terminate(role))

    async def _wake_at(self, at: float) -> None:
        await self.clock.sleep_until(at)
        self.submit(Tick(at=max(self.clock.now(), at)))

    async def _hook(self, event: LifecycleEvent, timeout: float) -> None:
        command = self.config.hooks[str(event)].command
        result = await self.port.run_hook(command, self._environment(str(event)), timeout)
        detail = f"{result.detail}\n{result.output}".strip()[-HOOK_DETAIL_LIMIT:]
        self.submit(HookFinished(at=self.clock.now(), event=event, ok=result.ok, detail=detail))

    def _environment(self, event: str) -> dict[str, str]:
        revision = self.deployment.settings.revision
        return hook_environment(
            self.deployment_id, event, revision, self.port.prod_url, self.port.test_url
        )

    async def _validate(self, action: StartValidation) -> None:
        """The shared gate (the same plan as on AWS, from the same bluegreen.toml);
        the engine's StartValidation comes from that config too."""
        plan = GatePlan.from_config(self.config, self.port.project_dir, self.port.test_url)
        assert plan is not None, "the local test listener always exists"
        revision = self.deployment.settings.revision
        where = Coordinates(self.deployment_id, revision, self.port.prod_url, self.port.test_url)
        await run_async(plan, where, self._feed_validation)

    async def _feed_validation(self, outcome: Outcome) -> None:
        """A probe's result, timed by the controller's clock like every other input."""
        at = self.clock.now()
        self.submit(ValidationResult(at, outcome.ok, outcome.detail, final=outcome.final))

    def _watch_alarms(self, on: bool) -> None:
        if self.alarms:
            self.alarms.cancel()
            self.alarms = None
        if on:
            alarms = self.config.deployment.alarms
            watch = watch_alarms(alarms, self.port.green_metrics, self.feed, ALARM_POLL, self.clock)
            self.alarms = self._spawn("alarms", watch)

    # -- what the service reports -----------------------------------------------------

    def green_target_changed(self, address: str, state: TargetState) -> None:
        """A target of green's group changed state (the service filters by group)."""
        if self.green_count is None:
            return
        self._note_target(address, state)
        if not self.ready_reported:
            self._check_ready()
        elif state is TargetState.UNHEALTHY:
            why = f"target {address} turned unhealthy"
            self.submit(TaskSetFailed(at=self.clock.now(), task_set=TaskSetRole.GREEN, why=why))

    def _check_ready(self) -> None:
        """Green is ready once all its tasks are healthy (checked on launch, too: its
        targets may have passed their checks while the launch was still finishing)."""
        assert self.green_count is not None
        if not self.ready_reported and self.port.healthy_green() >= self.green_count:
            self.ready_reported = True
            self.submit(TaskSetReady(at=self.clock.now(), task_set=TaskSetRole.GREEN))

    def task_set_failed(self, role: TaskSetRole, why: str) -> None:
        """A task could not be started at all: the set fails now, not at the install timeout."""
        self.submit(TaskSetFailed(at=self.clock.now(), task_set=role, why=why))

    def green_task_exited(self, code: int, output: str) -> None:
        """A task of green's group exited; before green is ready, often enough is a failure.
        `output` is the end of the task's log, named in the failure."""
        if self.ready_reported:
            return
        self.crashes += 1
        if self.crashes == CRASHES_BEFORE_FAILED:
            last = f"last exit code {code}" + (f", last output: {output}" if output else "")
            why = f"tasks exited {self.crashes} times ({last}); see `bluegreen logs`"
            self.submit(TaskSetFailed(at=self.clock.now(), task_set=TaskSetRole.GREEN, why=why))

    def _note_target(self, address: str, state: TargetState) -> None:
        details = {"target": address, "state": str(state), "group": "green"}
        message = f"green target {address} {state}"
        self.port.record(self.event(EventKind.TARGET, message, details))

    def event(
        self,
        kind: EventKind,
        message: str,
        details: dict[str, Any] | None = None,
        status: Status | None = None,
    ) -> Event:
        """An event of the driver's own (targets, shutdown), stamped with the engine's state."""
        return Event(
            time=self.clock.now(),
            deployment_id=self.deployment_id,
            kind=kind,
            status=status or self.deployment.status,
            message=message,
            weights=self.deployment.weights,
            details=details or {},
        )
