"""One deployment's lifecycle: inputs in, actions out, no I/O and no clock.

Theory of operation. `handle(input)` first decides what the input amounts
to in the current phase (a `Trigger`, or nothing: late hook results, probes
outside validation and the like are ignored), then looks the move up in
`transitions.TRANSITIONS`. Leaving a phase records its outcome; entering one
does its work as actions (launch green, run a hook, shift test traffic, ...)
and, when there is nothing to wait for (no hook, no ready wait), moves on at
once. Every wait has a deadline handed out as `WakeAt`, so a driver that
keeps sending `Tick`s always sees the deployment end. Endings undo what the
deployment changed when `ROLLBACK_RULES` and the settings say so.

All state changes happen inside `handle`, driven only by the inputs and the
settings, so `replay` of the recorded inputs rebuilds an equal deployment.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..spec.config import ReadyAction
from .actions import (
    Action,
    Finished,
    LaunchTaskSet,
    Listener,
    Record,
    RunHook,
    SetWeights,
    StartValidation,
    StopValidation,
    TerminateTaskSet,
    WakeAt,
    WatchAlarms,
)
from .events import ALL_BLUE, ALL_GREEN, Event, EventKind, Status, StepStatus, Weights
from .inputs import (
    Alarm,
    ContinueRequested,
    HookFinished,
    Input,
    Started,
    StopRequested,
    TaskSet,
    TaskSetFailed,
    TaskSetReady,
    Tick,
    ValidationResult,
)
from .settings import DeploymentSettings
from .transitions import ENDINGS, ROLLBACK_RULES, TRANSITIONS, Phase, Trigger

Found = tuple[Trigger, str] | None
"""What an input amounts to: a trigger and the reason to record, or nothing."""


@dataclass(frozen=True)
class DeploymentState:
    """Everything observable about a deployment besides its log; replay reproduces it."""

    phase: Phase
    status: Status
    weights: Weights
    test_weights: Weights
    green_launched: bool
    green_terminated: bool
    blue_terminated: bool
    rolled_back: bool
    reason: str


class Deployment:
    """The blue/green lifecycle of one deployment (see the module docstring)."""

    def __init__(self, deployment_id: str, settings: DeploymentSettings) -> None:
        self.deployment_id = deployment_id
        self.settings = settings
        self.phase = Phase.CREATED
        self.status = Status.CREATED
        self.weights = ALL_BLUE
        self.test_weights = ALL_BLUE
        self.events: list[Event] = []
        self.inputs: list[Input] = []
        self.green_launched = self.green_terminated = self.blue_terminated = False
        self.rolled_back = False
        self.reason = ""
        self._now = 0.0
        self._deadline: float | None = None
        self._step_status: StepStatus | None = None
        self._successes = 0
        self._validating = self._watching = False
        self._shift_start = 0.0
        self._next_step = 0
        self._stop_rollback: bool | None = None
        self._out: list[Action] = []

    @property
    def state(self) -> DeploymentState:
        return DeploymentState(
            self.phase,
            self.status,
            self.weights,
            self.test_weights,
            self.green_launched,
            self.green_terminated,
            self.blue_terminated,
            self.rolled_back,
            self.reason,
        )

    @property
    def deadline(self) -> float | None:
        """When the current wait runs out (the last `WakeAt`), if anything is waited for."""
        return self._deadline

    def handle(self, item: Input) -> list[Action]:
        """Feed one input; returns the actions to perform, in order."""
        self.inputs.append(item)
        if self.phase.ending:
            return []
        self._out = []
        self._now = max(self._now, item.at)
        found = self._interpret(item)
        if found is not None:
            self._fire(*found)
        return self._out

    # -- what an input amounts to ---------------------------------------------

    def _interpret(self, item: Input) -> Found:
        handler = _INTERPRETERS[type(item)]
        return handler(self, item)

    def _on_started(self, item: Started) -> Found:
        return Trigger.START, f"deploying {self.settings.revision}"

    def _on_stop(self, item: StopRequested) -> Found:
        self._stop_rollback = item.rollback
        return Trigger.STOP, "stop requested"

    def _on_alarm(self, item: Alarm) -> Found:
        if self.phase is Phase.CREATED:
            return None
        self._record(EventKind.ALARM, f"alarm {item.name}: {item.detail}", alarm=item.name)
        return Trigger.ALARM, f"alarm {item.name} fired: {item.detail}"

    def _on_task_set_failed(self, item: TaskSetFailed) -> Found:
        if item.task_set is TaskSet.BLUE or not self.green_launched:
            self._record(EventKind.TASK_SET, f"{item.task_set} task set: {item.why}")
            return None
        self._record(EventKind.TASK_SET, f"green task set failed: {item.why}", task_set="green")
        return Trigger.FAILURE, f"green task set failed: {item.why}"

    def _on_task_set_ready(self, item: TaskSetReady) -> Found:
        if self.phase is not Phase.INSTALL or item.task_set is not TaskSet.GREEN:
            return None
        if not self._in_time(item.at):
            return None
        self._record(EventKind.TASK_SET, "green task set healthy", task_set="green")
        return Trigger.DONE, "green task set healthy"

    def _on_hook_finished(self, item: HookFinished) -> Found:
        running = self._step_status is StepStatus.IN_PROGRESS and self.phase.hookable
        if not running or self.phase.lifecycle_event is not item.event:
            return None
        if not self._in_time(item.at):
            return None
        outcome = "succeeded" if item.ok else "failed"
        self._record(EventKind.HOOK, f"{item.event} hook {outcome}", output=item.detail, ok=item.ok)
        if item.ok:
            return Trigger.DONE, f"{item.event} hook succeeded"
        return Trigger.FAILURE, f"{item.event} hook failed" + (
            f": {item.detail}" if item.detail else ""
        )

    def _on_validation(self, item: ValidationResult) -> Found:
        if not self._validating or not self._in_time(item.at):
            return None
        self._successes = self._successes + 1 if item.ok else 0
        needed = self.settings.validation.consecutive_successes
        message = f"probe {'ok' if item.ok else 'failed'} ({self._successes}/{needed})"
        self._record(EventKind.VALIDATION, message, ok=item.ok, detail=item.detail)
        if self._successes >= needed:
            return Trigger.DONE, f"validation passed: {needed} consecutive ok probes"
        return None

    def _on_continue(self, item: ContinueRequested) -> Found:
        if self.phase in (Phase.READY_WAIT, Phase.TERMINATION_WAIT):
            return Trigger.DONE, "continue requested"
        return None

    def _on_tick(self, item: Tick) -> Found:
        if self._deadline is None or self._now < self._deadline:
            return None
        return self._timed_out()

    def _timed_out(self) -> Found:
        """What the current phase's deadline passing means."""
        s = self.settings
        if self.phase is Phase.ALLOW_TRAFFIC:
            return Trigger.STEP, "next traffic step due"
        if self.phase is Phase.TERMINATION_WAIT:
            return Trigger.DONE, "termination wait over"
        if self.phase is Phase.READY_WAIT:
            if s.ready_timeout_action is ReadyAction.CONTINUE:
                return Trigger.DONE, "ready wait over: CONTINUE_DEPLOYMENT"
            return Trigger.READY_TIMED_OUT, f"not continued within ready_wait ({s.ready_wait:g}s)"
        if self.phase is Phase.INSTALL:
            return (
                Trigger.FAILURE,
                f"green not healthy within install_timeout ({s.install_timeout:g}s)",
            )
        if self.phase is Phase.ALLOW_TEST_TRAFFIC:
            return Trigger.FAILURE, f"validation did not pass within {s.validation.deadline:g}s"
        event = self.phase.lifecycle_event
        timeout = s.hooks.get(event) if event else None
        return Trigger.FAILURE, f"{event} hook timed out after {timeout:g}s"

    def _in_time(self, at: float) -> bool:
        return self._deadline is None or at <= self._deadline

    # -- moving between phases ------------------------------------------------

    def _fire(self, trigger: Trigger, reason: str) -> None:
        target = TRANSITIONS[self.phase].get(trigger)
        if target is None:
            return
        if trigger is Trigger.STEP:
            self._advance_shift()
            return
        origin = self.phase
        self._leave(trigger, reason)
        self.phase = target
        if target.ending:
            self._end(origin, trigger, reason)
        else:
            _ENTRIES[target](self)

    def _leave(self, trigger: Trigger, reason: str) -> None:
        self._deadline = None
        if self._validating and trigger is Trigger.DONE:
            self._stop_validation()
        if self._step_status is StepStatus.IN_PROGRESS:
            step = StepStatus.SUCCEEDED if trigger is Trigger.DONE else StepStatus.FAILED
            self._lifecycle(step, reason)
        self._step_status = None
        if self.status is Status.READY and trigger is Trigger.DONE:
            self._set_status(Status.IN_PROGRESS, "continuing: rerouting production traffic")

    def _wait_until(self, at: float) -> None:
        self._deadline = at
        self._emit(WakeAt(at))

    # -- entering phases --------------------------------------------------------

    def _enter_before_install(self) -> None:
        self._set_status(Status.IN_PROGRESS, f"deploying {self.settings.revision}")
        self._enter_hook()

    def _enter_hook(self) -> None:
        event = self.phase.lifecycle_event
        assert event is not None
        timeout = self.settings.hooks.get(event)
        if timeout is None:
            self._lifecycle(StepStatus.SKIPPED, "no hook")
            self._fire(Trigger.DONE, "no hook")
            return
        self._lifecycle(StepStatus.IN_PROGRESS, f"running the {event} hook")
        self._emit(RunHook(event, timeout))
        self._wait_until(self._now + timeout)

    def _enter_install(self) -> None:
        s = self.settings
        self._lifecycle(
            StepStatus.IN_PROGRESS, f"launching {s.desired_count} task(s) of {s.revision}"
        )
        self._emit(LaunchTaskSet(TaskSet.GREEN, s.revision, s.desired_count))
        self.green_launched = True
        self._wait_until(self._now + s.install_timeout)

    def _enter_allow_test_traffic(self) -> None:
        v = self.settings.validation
        self._lifecycle(StepStatus.IN_PROGRESS, "test listener to green; validating")
        self._set_weights(Listener.TEST, ALL_GREEN)
        self._emit(StartValidation(v.path, v.interval, v.consecutive_successes))
        self._validating = True
        self._successes = 0
        self._wait_until(self._now + v.deadline)

    def _enter_ready_wait(self) -> None:
        wait = self.settings.ready_wait
        if wait <= 0:
            self._fire(Trigger.DONE, "no ready wait")
            return
        self._set_status(Status.READY, f"green ready; waiting up to {wait:g}s for continue")
        self._wait_until(self._now + wait)

    def _enter_allow_traffic(self) -> None:
        self._lifecycle(StepStatus.IN_PROGRESS, f"shifting traffic: {self.settings.config_name}")
        self._emit(WatchAlarms(on=True))
        self._watching = True
        self._shift_start = self._now
        self._next_step = 0
        self._advance_shift()

    def _advance_shift(self) -> None:
        """Apply every schedule step that is due; then wait for the next or finish."""
        steps = self.settings.steps
        while self._next_step < len(steps):
            offset, green = steps[self._next_step]
            due = self._shift_start + offset
            if due > self._now:
                self._wait_until(due)
                return
            self._next_step += 1
            self._set_weights(Listener.PRODUCTION, Weights(100 - green, green))
        self._fire(Trigger.DONE, "all production traffic on green")

    def _enter_termination_wait(self) -> None:
        wait = self.settings.termination_wait
        if self.settings.first or wait <= 0:
            self._fire(Trigger.DONE, "no termination wait")
            return
        self._record(EventKind.MESSAGE, f"blue stays up for {wait:g}s (rollback is instant)")
        self._wait_until(self._now + wait)

    # -- endings ----------------------------------------------------------------

    def _end(self, origin: Phase, trigger: Trigger, reason: str) -> None:
        if self._validating:
            self._stop_validation()
        if self._watching:
            self._emit(WatchAlarms(on=False))
            self._watching = False
        details: dict[str, Any] = {}
        if self.phase is Phase.SUCCEEDED:
            self._terminate_blue()
        else:
            self.reason = reason
            details = self._end_early(origin, trigger, reason)
        status = ENDINGS[self.phase]
        self._set_status(
            status, reason if status is not Status.SUCCEEDED else "deployed", **details
        )
        self._emit(Finished(status))

    def _end_early(self, origin: Phase, trigger: Trigger, reason: str) -> dict[str, Any]:
        """Undo what the deployment changed if the rules say so; the ending's details."""
        rule = ROLLBACK_RULES[trigger]
        wanted = self._stop_rollback if trigger is Trigger.STOP else None
        if wanted is None:
            wanted = rule.governed_by in self.settings.auto_rollback
        undone = self._roll_back(reason) if wanted else False
        if not wanted and self.green_launched:
            self._record(EventKind.MESSAGE, f"{rule.governed_by} rollback disabled: left as is")
        return {"code": rule.code, "event": origin.value, "rolled_back": undone}

    def _roll_back(self, reason: str) -> bool:
        """Production and test traffic back to blue, green terminated; False if nothing to undo."""
        changed = self.weights != ALL_BLUE or self.test_weights != ALL_BLUE
        if not changed and not self.green_launched:
            return False
        self._record(EventKind.ROLLBACK, f"rolling back: {reason}")
        if self.weights != ALL_BLUE:
            self._set_weights(Listener.PRODUCTION, ALL_BLUE)
        if self.test_weights != ALL_BLUE:
            self._set_weights(Listener.TEST, ALL_BLUE)
        if self.green_launched:
            self._emit(TerminateTaskSet(TaskSet.GREEN))
            self.green_terminated = True
        self.rolled_back = True
        self._record(EventKind.ROLLBACK, "rolled back: all traffic on blue, green terminated")
        return True

    def _terminate_blue(self) -> None:
        if self.settings.first:
            return
        self._emit(TerminateTaskSet(TaskSet.BLUE))
        self.blue_terminated = True
        self._record(EventKind.TASK_SET, "blue task set terminated", task_set="blue")

    # -- actions and records ----------------------------------------------------

    def _emit(self, action: Action) -> None:
        self._out.append(action)

    def _stop_validation(self) -> None:
        self._emit(StopValidation())
        self._validating = False

    def _set_weights(self, listener: Listener, weights: Weights) -> None:
        self._emit(SetWeights(listener, weights))
        if listener is Listener.TEST:
            self.test_weights = weights
        else:
            self.weights = weights
        message = f"{listener} traffic: blue {weights.blue}% green {weights.green}%"
        self._record(EventKind.TRAFFIC, message, listener=listener.value, split=weights.to_dict())

    def _set_status(self, status: Status, message: str, **details: Any) -> None:
        self.status = status
        self._record(EventKind.STATUS, message, **details)

    def _lifecycle(self, step: StepStatus, message: str) -> None:
        self._step_status = step
        self._record(EventKind.LIFECYCLE, f"{self.phase.value} {step.value}: {message}", step=step)

    def _record(
        self, kind: EventKind, message: str, *, step: StepStatus | None = None, **details: Any
    ) -> None:
        event = Event(
            time=self._now,
            deployment_id=self.deployment_id,
            kind=kind,
            status=self.status,
            message=message,
            lifecycle_event=self.phase.lifecycle_event,
            step_status=step,
            weights=self.weights,
            details=details,
        )
        self.events.append(event)
        self._emit(Record(event))


def replay(deployment_id: str, settings: DeploymentSettings, inputs: Iterable[Input]) -> Deployment:
    """Rebuild a deployment from its recorded inputs (crash recovery)."""
    deployment = Deployment(deployment_id, settings)
    for item in inputs:
        deployment.handle(item)
    return deployment


_INTERPRETERS: Mapping[type, Callable[[Deployment, Any], Found]] = {
    Started: Deployment._on_started,
    StopRequested: Deployment._on_stop,
    Alarm: Deployment._on_alarm,
    TaskSetFailed: Deployment._on_task_set_failed,
    TaskSetReady: Deployment._on_task_set_ready,
    HookFinished: Deployment._on_hook_finished,
    ValidationResult: Deployment._on_validation,
    ContinueRequested: Deployment._on_continue,
    Tick: Deployment._on_tick,
}

_ENTRIES: Mapping[Phase, Callable[[Deployment], None]] = {
    Phase.BEFORE_INSTALL: Deployment._enter_before_install,
    Phase.INSTALL: Deployment._enter_install,
    Phase.AFTER_INSTALL: Deployment._enter_hook,
    Phase.ALLOW_TEST_TRAFFIC: Deployment._enter_allow_test_traffic,
    Phase.AFTER_ALLOW_TEST_TRAFFIC: Deployment._enter_hook,
    Phase.READY_WAIT: Deployment._enter_ready_wait,
    Phase.BEFORE_ALLOW_TRAFFIC: Deployment._enter_hook,
    Phase.ALLOW_TRAFFIC: Deployment._enter_allow_traffic,
    Phase.AFTER_ALLOW_TRAFFIC: Deployment._enter_hook,
    Phase.TERMINATION_WAIT: Deployment._enter_termination_wait,
}
