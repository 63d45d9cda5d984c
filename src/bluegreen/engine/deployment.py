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
    ListenerRole,
    RunHook,
    StartValidation,
    StopValidation,
    WakeAt,
    WatchAlarms,
)
from .deployment_settings import DeploymentSettings
from .effects import Effects
from .events import ALL_GREEN, Event, EventKind, Status, StepStatus, Weights
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
        """Feed one input; returns the actions to perform, in order."""
        self.inputs.append(item)
        if self.phase.ending:
            return []
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
        if self.phase is Phase.CREATED:
            return None
        self.effects.record(EventKind.ALARM, f"alarm {item.name}: {item.detail}", alarm=item.name)
        return Trigger.ALARM, f"alarm {item.name} fired: {item.detail}"

    def _on_task_set_failed(self, item: TaskSetFailed) -> Found:
        if item.task_set is TaskSetRole.BLUE or not self.effects.green_launched:
            self.effects.record(EventKind.TASK_SET, f"{item.task_set} task set: {item.why}")
            return None
        self.effects.record(
            EventKind.TASK_SET, f"green task set failed: {item.why}", task_set="green"
        )
        return Trigger.FAILURE, f"green task set failed: {item.why}"

    def _on_task_set_ready(self, item: TaskSetReady) -> Found:
        if self.phase is not Phase.INSTALL or item.task_set is not TaskSetRole.GREEN:
            return None
        if not self._in_time(item.at):
            return None
        self.effects.record(EventKind.TASK_SET, "green task set healthy", task_set="green")
        return Trigger.DONE, "green task set healthy"

    def _on_hook_finished(self, item: HookFinished) -> Found:
        running = self._step_status is StepStatus.IN_PROGRESS and self.phase.hookable
        if not running or self.phase.lifecycle_event is not item.event:
            return None
        if not self._in_time(item.at):
            return None
        outcome = "succeeded" if item.ok else "failed"
        self.effects.record(
            EventKind.HOOK, f"{item.event} hook {outcome}", output=item.detail, ok=item.ok
        )
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
        self.effects.record(EventKind.VALIDATION, message, ok=item.ok, detail=item.detail)
        if item.final and not item.ok:
            return Trigger.FAILURE, f"validation did not pass: {item.detail}"
        if self._successes >= needed:
            return Trigger.DONE, f"validation passed: {needed} consecutive ok probes"
        return None

    def _on_continue(self, item: ContinueRequested) -> Found:
        if self.phase in (Phase.READY_WAIT, Phase.TERMINATION_WAIT):
            return Trigger.DONE, "continue requested"
        return None

    def _on_tick(self, item: Tick) -> Found:
        if self._deadline is None or self.effects.now < self._deadline:
            return None
        return self._timed_out()

    def _timed_out(self) -> Found:
        """What the current phase's deadline passing means."""
        s, phase = self.settings, self.phase
        if phase is Phase.READY_WAIT and s.ready_timeout_action is ReadyAction.CONTINUE:
            return Trigger.DONE, "ready wait over: CONTINUE_DEPLOYMENT"
        fixed: dict[Phase, tuple[Trigger, str]] = {
            Phase.ALLOW_TRAFFIC: (Trigger.STEP, "next traffic step due"),
            Phase.TERMINATION_WAIT: (Trigger.DONE, "termination wait over"),
            Phase.READY_WAIT: (Trigger.READY_TIMED_OUT, f"not continued within {s.ready_wait:g}s"),
            Phase.INSTALL: (Trigger.FAILURE, f"green not healthy within {s.install_timeout:g}s"),
            Phase.ALLOW_TEST_TRAFFIC: (
                Trigger.FAILURE,
                f"validation did not pass within {s.validation.deadline:g}s",
            ),
        }
        if phase in fixed:
            return fixed[phase]
        event = phase.lifecycle_event
        assert event is not None, f"{phase} has no deadline"
        return Trigger.FAILURE, f"{event} hook timed out after {s.hooks[event]:g}s"

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
        undone = self.effects.roll_back(reason) if wanted else False
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
