"""The lifecycle as data: phases, what moves between them, and the rollback rules.

Everything that decides *where* a deployment goes next lives in the two
tables below (h11's `_state.py` rule); `deployment.py` only decides which
trigger an input amounts to and performs the entry and exit work. The
diagram in docs/engine.md is generated from `TRANSITIONS`, so it can't drift.

A phase is either one of CodeDeploy's lifecycle events (same name), one of
the two waits, or an ending. Triggers are what an input amounts to in a
phase: DONE when the phase's work is complete (hook succeeded or skipped,
green healthy, validation passed, last traffic step, wait over); FAILURE,
ALARM and STOP end the deployment, moving traffic back per `ROLLBACK_RULES`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ..vocabulary import AutoRollback, LifecycleEvent, Status


class Phase(StrEnum):
    CREATED = "Created"
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
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    STOPPED = "Stopped"

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
