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

A store write that fails (disk full, read-only) ends the deployment: nothing
it does next could be recorded or replayed, so it is failed as a bug is,
traffic back on blue and green stopped, with the store's one-line reason.
That path only logs what fails in it: it must bring the platform to a known
state even when the store, or anything else, keeps failing.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Coroutine
from pathlib import Path
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
from ..engine.transitions import Phase
from ..gate import Coordinates, GatePlan, Outcome, run_async
from ..lb.target import TargetState
from ..lb.target_health import Reason
from ..shell import hook_environment
from ..spec.config import BluegreenConfig
from ..vocabulary import LifecycleEvent, Status
from .alarms import watch_alarms
from .clock import Clock
from .control_port import ControlPort
from .store_faults import StoreFailed

log = logging.getLogger(__name__)

CRASHES_BEFORE_FAILED = 3
ALARM_POLL = 0.25
PORT_POLL = 0.5
"""How often green's refused targets are checked for listening on another port."""
MISBOUND_FOR = 2.0
"""How long a task must listen elsewhere (and not on PORT) before that fails green:
an app may open, say, a metrics port a moment before its own."""
HOOK_DETAIL_LIMIT = 2000


class Controller:
    def __init__(
        self,
        port: ControlPort,
        clock: Clock,
        deployment: Deployment,
        config: BluegreenConfig,
        workdir: Path | None = None,
    ) -> None:
        self.port = port
        self.clock = clock
        self.deployment = deployment
        self.config = config
        """The deployment's settings, its revision's own (command, health check, hooks) over
        those the deploy sent."""
        self.workdir = workdir
        """Where the revision's hooks and smoke command run: its snapshot; None: the
        project directory."""
        self.queue: asyncio.Queue[Input] = asyncio.Queue()
        self.background: set[asyncio.Task[Any]] = set()
        self.validation: asyncio.Task[Any] | None = None
        self.alarms: asyncio.Task[Any] | None = None
        self.green_count: int | None = None  # set once green's tasks are launched
        self.green_terminated = False
        self.crashes = 0
        self.targets: dict[str, tuple[TargetState, Reason | None]] = {}  # green's, as last told
        self.ready_reported = False
        self.loop_task: asyncio.Task[None] | None = None
        self.fault: Exception | None = None
        """A store write that failed, which ends the deployment at its next input."""

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

    def store_failed(self, error: Exception) -> None:
        """A write nobody awaited failed: end the deployment (woken by a Tick)."""
        if self.fault is None:
            self.fault = error
            self.submit(Tick(at=self.clock.now()))

    async def _run(self) -> None:
        try:
            status = await self._drive()
        except StoreFailed as exc:
            log.error("deployment %s: the store failed: %s", self.deployment_id, exc)
            status = self._fail(f"the store failed: {exc}; production traffic is back on blue")
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
            item = self._explained(await self.queue.get())
            if self.fault is not None:
                raise self.fault
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
            lambda: self.port.record(self._failed_event(why)),
        )
        for step in steps:
            try:
                step()
            except Exception:
                log.exception("deployment %s: undoing after the failure failed", self.deployment_id)
        return Status.FAILED

    def _failed_event(self, why: str) -> Event:
        """Failed, with the weights `_fail` set (the engine's are what it last decided)."""
        event = self.event(EventKind.STATUS, why, status=Status.FAILED)
        return dataclasses.replace(event, weights=ALL_BLUE)

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
                # Awaited: the event saying it is terminated, and the deployment's
                # end, come next and must be true when they are told.
                if (terminating := self._terminate(task_set)) is not None:
                    await terminating
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
        self._spawn("ports", self._watch_ports())

    def _terminate(self, role: TaskSetRole) -> asyncio.Task[Any] | None:
        if role is TaskSetRole.GREEN:
            if self.green_count is None or self.green_terminated:
                return None
            self.green_terminated = True
        return self._spawn(f"terminate-{role}", self.port.terminate(role))

    async def _wake_at(self, at: float) -> None:
        await self.clock.sleep_until(at)
        self.submit(Tick(at=max(self.clock.now(), at)))

    async def _hook(self, event: LifecycleEvent, timeout: float) -> None:
        command = self.config.hooks[str(event)].command
        cwd = self.workdir or self.port.project_dir
        where = "the revision's snapshot" if self.workdir else "the project directory"
        message = f"{event} hook runs in {where} ({cwd})"
        self.port.record(self.event(EventKind.MESSAGE, message, {"cwd": str(cwd)}))
        result = await self.port.run_hook(command, self._environment(str(event)), timeout, cwd)
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
        # The smoke command, like the hooks, runs the revision's own files.
        cwd = self.workdir or self.port.project_dir
        plan = GatePlan.from_config(self.config, cwd, self.port.test_url)
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

    def green_target_changed(
        self, address: str, state: TargetState, reason: Reason | None = None
    ) -> None:
        """A target of green's group changed state or reason (the service filters by group)."""
        if self.green_count is None:
            return
        before = self.targets.get(address)
        self.targets[address] = (state, reason)
        self._note_target(address, state, reason)
        if not self.ready_reported:
            self._check_ready()
        elif state is TargetState.UNHEALTHY and (before is None or before[0] is not state):
            why = f"target {address} turned unhealthy" + (f" ({reason})" if reason else "")
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
            # A sibling holding the port the app hard-codes is the cause of these exits.
            why = self.port.misbound_green() or (
                f"tasks exited {self.crashes} times ({last}); see `bluegreen logs`"
            )
            self.submit(TaskSetFailed(at=self.clock.now(), task_set=TaskSetRole.GREEN, why=why))

    def _note_target(self, address: str, state: TargetState, reason: Reason | None) -> None:
        details = {"target": address, "state": str(state), "group": "green"}
        details |= reason.to_dict() if reason else {}
        message = f"green target {address} {state}" + (f" ({reason})" if reason else "")
        self.port.record(self.event(EventKind.TARGET, message, details))

    def _explained(self, item: Input) -> Input:
        """The install deadline passing, said as green failing with the last reason of
        each of its targets, so "not healthy" comes with why (the engine knows no targets)."""
        d = self.deployment
        if not isinstance(item, Tick) or d.phase is not Phase.INSTALL:
            return item
        if d.deadline is None or item.at < d.deadline:
            return item
        reasons = [
            f"{address} {state}" + (f" ({reason})" if reason else "")
            for address, (state, reason) in self.targets.items()
            if state is not TargetState.UNUSED
        ]
        if not reasons:
            return item
        why = f"green not healthy within {d.settings.install_timeout:g}s: " + "; ".join(reasons)
        return TaskSetFailed(at=item.at, task_set=TaskSetRole.GREEN, why=why)

    async def _watch_ports(self) -> None:
        """While green is installed: a task that listens on another port than its
        PORT (for `MISBOUND_FOR`) fails the set by name, not at the install timeout."""
        since: float | None = None
        while not self.ready_reported and self.deployment.phase is Phase.INSTALL:
            why, now = self.port.misbound_green(), self.clock.now()
            since = (now if since is None else since) if why else None
            if why and since is not None and now - since >= MISBOUND_FOR:
                self.submit(TaskSetFailed(at=now, task_set=TaskSetRole.GREEN, why=why))
                return
            await self.clock.sleep_until(now + PORT_POLL)

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
