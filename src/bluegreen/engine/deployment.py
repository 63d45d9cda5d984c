"""One deployment's lifecycle: inputs in, actions out, no I/O and no clock.

Theory of operation. `handle(input)` first checks that the current phase
takes the input (`transitions.ACCEPTED`; otherwise it raises `IllegalInput`
or `StaleInput` and changes nothing), then decides what the input amounts
to (a `Trigger`, or nothing yet: a tick before the deadline, a failed
probe), then looks the move up in `transitions.TRANSITIONS`. Leaving a
phase records its outcome; entering one does its work as actions (launch
green, run a hook, shift test traffic, ...) and, when there is nothing to
wait for (no hook, no ready wait), moves on at once. Every wait has a
deadline handed out as `WakeAt`, so a driver that keeps sending `Tick`s
always sees the deployment end. Endings undo what the deployment changed
when `ROLLBACK_RULES` and the settings say so.

All state changes happen inside `handle`, driven only by the inputs and the
settings, so `replay` of the recorded inputs rebuilds an equal deployment
(skipping, as the original did, the inputs it rejected).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..vocabulary import Status, StepStatus
from .actions import (
    Action,
    Finished,
    ListenerRole,
    RunHook,
    StartValidation,
    StopValidation,
    WakeAt,
    WatchAlarms,
)
from .deployment_settings import DeploymentSettings
from .effects import Effects
from .events import ALL_GREEN, Event, EventKind, Weights
from .inputs import (
    Alarm,
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
from .rejections import RejectedInput, check_taken
from .transitions import (
    ENDINGS,
    ROLLBACK_RULES,
    TRANSITIONS,
    Phase,
    Trigger,
    deadline_rule,
)

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
        self.effects = Effects(deployment_id)
        self.inputs: list[Input] = []
        self.reason = ""
        self._deadline: float | None = None
        self._step_status: StepStatus | None = None
        self._successes = 0
        self._validating = self._watching = False
        self._shift_start = 0.0
        self._next_step = 0
        self._stop_rollback: bool | None = None

    @property
    def status(self) -> Status:
        return self.effects.status

    @property
    def weights(self) -> Weights:
        """Production traffic; `test_weights` is the test listener's."""
        return self.effects.weights

    @property
    def test_weights(self) -> Weights:
        return self.effects.test_weights

    @property
    def events(self) -> list[Event]:
        return self.effects.events

    @property
    def state(self) -> DeploymentState:
        fx = self.effects
        return DeploymentState(
            self.phase,
            fx.status,
            fx.weights,
            fx.test_weights,
            fx.green_launched,
            fx.green_terminated,
            fx.blue_terminated,
            fx.rolled_back,
            self.reason,
        )

    @property
    def deadline(self) -> float | None:
        """When the current wait runs out (the last `WakeAt`), if anything is waited for."""
        return self._deadline

    def handle(self, item: Input) -> list[Action]:
        """Feed one input; returns the actions to perform, in order.

        Raises `RejectedInput` (`IllegalInput` or `StaleInput`) for an input
        the current phase does not take; the deployment is then unchanged."""
        check_taken(item, self.phase, self._deadline)
        self.inputs.append(item)
        self.effects.begin(item.at)
        found = self._interpret(item)
        if found is not None:
            self._fire(*found)
        return self.effects.actions

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
        self.effects.record(EventKind.ALARM, f"alarm {item.name}: {item.detail}", alarm=item.name)
        return Trigger.ALARM, f"alarm {item.name} fired: {item.detail}"

    def _on_task_set_failed(self, item: TaskSetFailed) -> Found:
        if item.task_set is TaskSetRole.BLUE:
            self.effects.record(EventKind.TASK_SET, f"blue task set: {item.why}")
            return None
        self.effects.record(
            EventKind.TASK_SET, f"green task set failed: {item.why}", task_set="green"
        )
        return Trigger.FAILURE, f"green task set failed: {item.why}"

    def _on_task_set_ready(self, item: TaskSetReady) -> Found:
        self.effects.record(EventKind.TASK_SET, "green task set healthy", task_set="green")
        return Trigger.DONE, "green task set healthy"

    def _on_hook_finished(self, item: HookFinished) -> Found:
        outcome = "succeeded" if item.ok else "failed"
        self.effects.record(
            EventKind.HOOK, f"{item.event} hook {outcome}", output=item.detail, ok=item.ok
        )
        if item.ok:
            return Trigger.DONE, f"{item.event} hook succeeded"
        # The reason is repeated by the step, the rollback, the status and the
        # verdict, so it takes the detail's first line ("exited 3"); the hook's
        # whole output is in the hook event above, once.
        why = item.detail.strip().splitlines()[0] if item.detail.strip() else ""
        return Trigger.FAILURE, f"{item.event} hook failed" + (f": {why}" if why else "")

    def _on_validation(self, item: ValidationResult) -> Found:
        self._successes = self._successes + 1 if item.ok else 0
        needed = self.settings.validation.consecutive_successes
        message = f"probe {'ok' if item.ok else 'failed'} ({self._successes}/{needed})"
        self.effects.record(EventKind.VALIDATION, message, ok=item.ok, detail=item.detail)
        if item.final and not item.ok:
            return Trigger.FAILURE, f"validation did not pass: {item.detail}"
        if self._successes >= needed:
            return Trigger.DONE, f"validation passed: {needed} consecutive ok probes"
        return None

    def _on_continue(self, item: ContinueRequested) -> Found:
        return Trigger.DONE, "continue requested"

    def _on_tick(self, item: Tick) -> Found:
        if self._deadline is None or self.effects.now < self._deadline:
            return None
        return self._timed_out()

    def _timed_out(self) -> Found:
        """What the current phase's deadline passing means (`transitions.DEADLINES`)."""
        s, phase = self.settings, self.phase
        rule = deadline_rule(phase, s.ready_timeout_action)
        event = phase.lifecycle_event
        hook_timeout = s.hooks.get(event) if event else None
        return rule.trigger, rule.reason.format(s=s, event=event, hook_timeout=hook_timeout)

    # -- moving between phases ------------------------------------------------

    def _fire(self, trigger: Trigger, reason: str) -> None:
        target = TRANSITIONS[self.phase][trigger]
        if target is self.phase:
            _STAYS[target](self)
            return
        origin = self.phase
        self._leave(trigger, reason)
        self.phase = target
        self.effects.lifecycle_event = target.lifecycle_event
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
        if self.effects.status is Status.READY and trigger is Trigger.DONE:
            self.effects.set_status(Status.IN_PROGRESS, "continuing: rerouting production traffic")

    def _wait_until(self, at: float) -> None:
        self._deadline = at
        self.effects.emit(WakeAt(at))

    # -- entering phases --------------------------------------------------------

    def _enter_before_install(self) -> None:
        self.effects.set_status(Status.IN_PROGRESS, f"deploying {self.settings.revision}")
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
        self.effects.emit(RunHook(event, timeout))
        self._wait_until(self.effects.now + timeout)

    def _enter_install(self) -> None:
        s = self.settings
        self._lifecycle(
            StepStatus.IN_PROGRESS, f"launching {s.desired_count} task(s) of {s.revision}"
        )
        self.effects.launch_green(s.revision, s.desired_count)
        self._wait_until(self.effects.now + s.install_timeout)

    def _enter_allow_test_traffic(self) -> None:
        v = self.settings.validation
        self._lifecycle(StepStatus.IN_PROGRESS, "test listener to green; validating")
        self.effects.set_weights(ListenerRole.TEST, ALL_GREEN)
        self.effects.emit(StartValidation(v.path, v.interval, v.consecutive_successes))
        self._validating = True
        self._successes = 0
        self._wait_until(self.effects.now + v.deadline)

    def _enter_ready_wait(self) -> None:
        wait = self.settings.ready_wait
        if wait <= 0:
            self._fire(Trigger.DONE, "no ready wait")
            return
        self.effects.set_status(Status.READY, f"green ready; waiting up to {wait:g}s for continue")
        self._wait_until(self.effects.now + wait)

    def _enter_allow_traffic(self) -> None:
        self._lifecycle(StepStatus.IN_PROGRESS, f"shifting traffic: {self.settings.config_name}")
        self.effects.emit(WatchAlarms(on=True))
        self._watching = True
        self._shift_start = self.effects.now
        self._next_step = 0
        self._advance_shift()

    def _advance_shift(self) -> None:
        """Apply every schedule step that is due; then wait for the next or finish."""
        steps = self.settings.steps
        while self._next_step < len(steps):
            offset, green = steps[self._next_step]
            due = self._shift_start + offset
            if due > self.effects.now:
                self._wait_until(due)
                return
            self._next_step += 1
            self.effects.set_weights(ListenerRole.PRODUCTION, Weights(100 - green, green))
        self._fire(Trigger.DONE, "all production traffic on green")

    def _enter_termination_wait(self) -> None:
        wait = self.settings.termination_wait
        if self.settings.first or wait <= 0:
            self._fire(Trigger.DONE, "no termination wait")
            return
        self.effects.record(EventKind.MESSAGE, f"blue stays up for {wait:g}s (rollback is instant)")
        self._wait_until(self.effects.now + wait)

    # -- endings ----------------------------------------------------------------

    def _end(self, origin: Phase, trigger: Trigger, reason: str) -> None:
        if self._validating:
            self._stop_validation()
        if self._watching:
            self.effects.emit(WatchAlarms(on=False))
            self._watching = False
        status = ENDINGS[self.phase]
        if status is Status.SUCCEEDED:
            if not self.settings.first:
                self.effects.terminate(TaskSetRole.BLUE)
            self.effects.set_status(status, f"deployed {self.settings.revision}")
        else:
            self.reason = reason
            self.effects.set_status(status, reason, **self._end_early(origin, trigger, reason))
        self.effects.emit(Finished(status))

    def _end_early(self, origin: Phase, trigger: Trigger, reason: str) -> dict[str, Any]:
        """Undo what the deployment changed if the rules say so; the ending's details."""
        rule = ROLLBACK_RULES[trigger]
        wanted = self._stop_rollback if trigger is Trigger.STOP else None
        if wanted is None:
            wanted = rule.governed_by in self.settings.auto_rollback
        undone = self.effects.roll_back(reason, self.settings.first) if wanted else False
        if not wanted and self.effects.green_launched:
            message = (
                f"{rule.governed_by} rollback disabled: traffic and task sets left as they are"
            )
            self.effects.record(EventKind.MESSAGE, message)
        return {"code": rule.code, "event": origin.value, "rolled_back": undone}

    def _stop_validation(self) -> None:
        self.effects.emit(StopValidation())
        self._validating = False

    def _lifecycle(self, step: StepStatus, message: str) -> None:
        self._step_status = step
        text = f"{self.phase.value} {step.value}: {message}"
        self.effects.record(EventKind.LIFECYCLE, text, step=step)


def replay(deployment_id: str, settings: DeploymentSettings, inputs: Iterable[Input]) -> Deployment:
    """Rebuild a deployment from its recorded inputs (crash recovery).

    A driver records each input before handing it over, so the record holds
    the ones the deployment rejected too; they are rejected again, and skipped."""
    deployment = Deployment(deployment_id, settings)
    for item in inputs:
        with contextlib.suppress(RejectedInput):
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

_STAYS: Mapping[Phase, Callable[[Deployment], None]] = {
    Phase.ALLOW_TRAFFIC: Deployment._advance_shift,
}
"""The work of an internal move (a phase's move to itself in `TRANSITIONS`)."""

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
