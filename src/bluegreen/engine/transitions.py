"""The lifecycle as data: phases, what moves between them, and every rule.

Everything that affects the state machine lives in the tables below (h11's
`_state.py` rule): which input a phase takes (`ACCEPTED`, `STALE`, else it
is illegal), what a deadline passing means in each phase (`DEADLINES`),
where each trigger leads (`TRANSITIONS`) and what an early ending undoes
(`ROLLBACK_RULES`). `deployment.py` only works out which trigger an accepted
input amounts to and performs the entry and exit work. docs/engine.md's
diagram and tables are generated from these, so they can't drift.

A phase is either one of CodeDeploy's lifecycle events (same name), one of
the two waits, or an ending. Triggers are what an input amounts to in a
phase: DONE when the phase's work is complete (hook succeeded or skipped,
green healthy, validation passed, last traffic step, wait over); FAILURE,
ALARM and STOP end the deployment, moving traffic back per `ROLLBACK_RULES`.
A move from a phase to itself (AllowTraffic's STEP) is internal: the phase
is neither left nor entered again, its work just goes on.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ..vocabulary import AutoRollback, LifecycleEvent, ReadyAction, Status
from .inputs import Input, TaskSetFailed, TaskSetReady, TaskSetRole


class Phase(StrEnum):
    CREATED = Status.CREATED.value
    BEFORE_INSTALL = LifecycleEvent.BEFORE_INSTALL.value
    INSTALL = LifecycleEvent.INSTALL.value
    AFTER_INSTALL = LifecycleEvent.AFTER_INSTALL.value
    ALLOW_TEST_TRAFFIC = LifecycleEvent.ALLOW_TEST_TRAFFIC.value
    AFTER_ALLOW_TEST_TRAFFIC = LifecycleEvent.AFTER_ALLOW_TEST_TRAFFIC.value
    READY_WAIT = "ReadyWait"
    BEFORE_ALLOW_TRAFFIC = LifecycleEvent.BEFORE_ALLOW_TRAFFIC.value
    ALLOW_TRAFFIC = LifecycleEvent.ALLOW_TRAFFIC.value
    AFTER_ALLOW_TRAFFIC = LifecycleEvent.AFTER_ALLOW_TRAFFIC.value
    TERMINATION_WAIT = "TerminationWait"
    SUCCEEDED = Status.SUCCEEDED.value
    FAILED = Status.FAILED.value
    STOPPED = Status.STOPPED.value

    @property
    def lifecycle_event(self) -> LifecycleEvent | None:
        return LifecycleEvent(self.value) if self.value in _LIFECYCLE_NAMES else None

    @property
    def hookable(self) -> bool:
        event = self.lifecycle_event
        return event is not None and event.hookable

    @property
    def ending(self) -> bool:
        return self in ENDINGS


_LIFECYCLE_NAMES = frozenset(e.value for e in LifecycleEvent)


class Trigger(StrEnum):
    START = "start"
    DONE = "done"
    STEP = "step"  # the next traffic step of the schedule is due
    READY_TIMED_OUT = "ready timed out"  # with ready_timeout_action STOP_DEPLOYMENT
    FAILURE = "failure"
    ALARM = "alarm"
    STOP = "stop"


ENDINGS: dict[Phase, Status] = {
    Phase.SUCCEEDED: Status.SUCCEEDED,
    Phase.FAILED: Status.FAILED,
    Phase.STOPPED: Status.STOPPED,
}

_ENDS_EARLY = {
    Trigger.FAILURE: Phase.FAILED,
    Trigger.ALARM: Phase.STOPPED,
    Trigger.STOP: Phase.STOPPED,
}


def _active(done: Phase, **more: Phase) -> dict[Trigger, Phase]:
    """A running phase: DONE leads to `done`; any failure, alarm or stop ends it."""
    return {Trigger.DONE: done, **{Trigger[k]: v for k, v in more.items()}, **_ENDS_EARLY}


TRANSITIONS: dict[Phase, dict[Trigger, Phase]] = {
    Phase.CREATED: {Trigger.START: Phase.BEFORE_INSTALL, Trigger.STOP: Phase.STOPPED},
    Phase.BEFORE_INSTALL: _active(Phase.INSTALL),
    Phase.INSTALL: _active(Phase.AFTER_INSTALL),
    Phase.AFTER_INSTALL: _active(Phase.ALLOW_TEST_TRAFFIC),
    Phase.ALLOW_TEST_TRAFFIC: _active(Phase.AFTER_ALLOW_TEST_TRAFFIC),
    Phase.AFTER_ALLOW_TEST_TRAFFIC: _active(Phase.READY_WAIT),
    Phase.READY_WAIT: _active(Phase.BEFORE_ALLOW_TRAFFIC, READY_TIMED_OUT=Phase.STOPPED),
    Phase.BEFORE_ALLOW_TRAFFIC: _active(Phase.ALLOW_TRAFFIC),
    Phase.ALLOW_TRAFFIC: _active(Phase.AFTER_ALLOW_TRAFFIC, STEP=Phase.ALLOW_TRAFFIC),
    Phase.AFTER_ALLOW_TRAFFIC: _active(Phase.TERMINATION_WAIT),
    Phase.TERMINATION_WAIT: _active(Phase.SUCCEEDED),
    Phase.SUCCEEDED: {},
    Phase.FAILED: {},
    Phase.STOPPED: {},
}


@dataclass(frozen=True)
class RollbackRule:
    """Which auto-rollback event governs an early ending, and the error code it reports."""

    governed_by: AutoRollback
    code: str


ROLLBACK_RULES: dict[Trigger, RollbackRule] = {
    Trigger.FAILURE: RollbackRule(AutoRollback.DEPLOYMENT_FAILURE, "DEPLOYMENT_FAILURE"),
    Trigger.READY_TIMED_OUT: RollbackRule(AutoRollback.DEPLOYMENT_FAILURE, "TIMEOUT"),
    Trigger.ALARM: RollbackRule(AutoRollback.DEPLOYMENT_STOP_ON_ALARM, "ALARM_ACTIVE"),
    Trigger.STOP: RollbackRule(AutoRollback.DEPLOYMENT_STOP_ON_REQUEST, "MANUAL_STOP"),
}


@dataclass(frozen=True)
class Deadline:
    """What the phase's deadline passing amounts to, and the reason recorded.

    `reason` is formatted with the settings as `s`, the phase's lifecycle
    event as `event` and its hook's timeout as `hook_timeout`."""

    trigger: Trigger
    reason: str


_HOOK_TIMED_OUT = Deadline(Trigger.FAILURE, "{event} hook timed out after {hook_timeout:g}s")

DEADLINES: dict[Phase, Deadline] = {
    **{phase: _HOOK_TIMED_OUT for phase in Phase if phase.hookable},
    Phase.INSTALL: Deadline(Trigger.FAILURE, "green not healthy within {s.install_timeout:g}s"),
    Phase.ALLOW_TEST_TRAFFIC: Deadline(
        Trigger.FAILURE, "validation did not pass within {s.validation.deadline:g}s"
    ),
    Phase.ALLOW_TRAFFIC: Deadline(Trigger.STEP, "next traffic step due"),
    Phase.TERMINATION_WAIT: Deadline(Trigger.DONE, "termination wait over"),
}
"""Every phase that waits, but the ready wait, whose deadline means what
`ready_timeout_action` says (`READY_DEADLINES`)."""

READY_DEADLINES: dict[ReadyAction, Deadline] = {
    ReadyAction.CONTINUE: Deadline(Trigger.DONE, "ready wait over: CONTINUE_DEPLOYMENT"),
    ReadyAction.STOP: Deadline(Trigger.READY_TIMED_OUT, "not continued within {s.ready_wait:g}s"),
}


def deadline_rule(phase: Phase, ready_action: ReadyAction) -> Deadline:
    """The deadline rule of `phase`, given the deployment's `ready_timeout_action`."""
    if phase is Phase.READY_WAIT:
        return READY_DEADLINES[ready_action]
    return DEADLINES[phase]


class InputKind(StrEnum):
    """Inputs as the acceptance tables tell them apart (a task set's role matters)."""

    STARTED = "Started"
    TICK = "Tick"
    GREEN_READY = "TaskSetReady(green)"
    BLUE_READY = "TaskSetReady(blue)"
    GREEN_FAILED = "TaskSetFailed(green)"
    BLUE_FAILED = "TaskSetFailed(blue)"
    HOOK_FINISHED = "HookFinished"
    VALIDATION_RESULT = "ValidationResult"
    CONTINUE_REQUESTED = "ContinueRequested"
    STOP_REQUESTED = "StopRequested"
    ALARM = "Alarm"


def kind_of(item: Input) -> InputKind:
    if isinstance(item, TaskSetReady | TaskSetFailed):
        role = "green" if item.task_set is TaskSetRole.GREEN else "blue"
        return InputKind(f"{type(item).__name__}({role})")
    return InputKind(type(item).__name__)


RUNNING: tuple[Phase, ...] = tuple(p for p in Phase if p is not Phase.CREATED and not p.ending)
_ENDED = frozenset(ENDINGS)
_ALIVE = frozenset({Phase.CREATED, *RUNNING})


def _after(phase: Phase) -> frozenset[Phase]:
    return frozenset(RUNNING[RUNNING.index(phase) + 1 :])


ACCEPTED: dict[InputKind, frozenset[Phase]] = {
    InputKind.STARTED: frozenset({Phase.CREATED}),
    InputKind.TICK: frozenset(RUNNING),
    InputKind.GREEN_READY: frozenset({Phase.INSTALL}),
    InputKind.BLUE_READY: frozenset(),
    InputKind.GREEN_FAILED: frozenset({Phase.INSTALL}) | _after(Phase.INSTALL),
    InputKind.BLUE_FAILED: _ALIVE,
    InputKind.HOOK_FINISHED: frozenset(p for p in RUNNING if p.hookable),
    InputKind.VALIDATION_RESULT: frozenset({Phase.ALLOW_TEST_TRAFFIC}),
    InputKind.CONTINUE_REQUESTED: frozenset({Phase.READY_WAIT, Phase.TERMINATION_WAIT}),
    InputKind.STOP_REQUESTED: _ALIVE,
    InputKind.ALARM: frozenset(RUNNING),
}
"""The phases that take each input. A hook result is taken only for the hook
running (the phase's own event), and a green-ready, hook or validation result
stamped after the phase's deadline is stale (`LATE_IS_STALE`): the tick that
is due fails the phase."""

STALE: dict[InputKind, frozenset[Phase]] = {
    InputKind.STARTED: frozenset(),
    InputKind.TICK: _ENDED,
    InputKind.GREEN_READY: _after(Phase.INSTALL) | _ENDED,
    InputKind.BLUE_READY: frozenset(),
    InputKind.GREEN_FAILED: _ENDED,
    InputKind.BLUE_FAILED: _ENDED,
    InputKind.HOOK_FINISHED: _ENDED,
    InputKind.VALIDATION_RESULT: _after(Phase.ALLOW_TEST_TRAFFIC) | _ENDED,
    InputKind.CONTINUE_REQUESTED: _ENDED,
    InputKind.STOP_REQUESTED: _ENDED,
    InputKind.ALARM: _ENDED,
}
"""The phases where an input may arrive by a harmless race with a phase
change (a probe in flight when validation passed, a tick after the end); in
every phase in neither table the input is illegal: a driver's mistake."""

LATE_IS_STALE = frozenset(
    {InputKind.GREEN_READY, InputKind.HOOK_FINISHED, InputKind.VALIDATION_RESULT}
)
