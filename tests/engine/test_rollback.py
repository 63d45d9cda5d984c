"""Every rollback trigger at every phase where it can occur, with rollback on and off."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bluegreen.engine.actions import LaunchTaskSet, ListenerRole, SetWeights, TerminateTaskSet
from bluegreen.engine.events import ALL_BLUE, EventKind
from bluegreen.engine.inputs import TaskSetRole
from bluegreen.engine.transitions import Phase
from bluegreen.vocabulary import AutoRollback, Status

from .lifecycle import ACTIVE, Driver, alarm, failure_inputs, stop, waiting_settings

Cause = Callable[[Driver], object]


def _cases() -> list[tuple[Phase, str, Cause, Status, AutoRollback]]:
    cases = []
    for phase in ACTIVE:
        for name, cause in failure_inputs(phase).items():
            cases.append((phase, name, cause, Status.FAILED, AutoRollback.DEPLOYMENT_FAILURE))
        cases.append((phase, "alarm", alarm, Status.STOPPED, AutoRollback.DEPLOYMENT_STOP_ON_ALARM))
        cases.append(
            (phase, "stop", stop(None), Status.STOPPED, AutoRollback.DEPLOYMENT_STOP_ON_REQUEST)
        )
    cases.append(
        (Phase.READY_WAIT, "ready timed out", Driver.tick_to_deadline, Status.STOPPED,
         AutoRollback.DEPLOYMENT_FAILURE)
    )  # fmt: skip
    return cases


CASES = _cases()
IDS = [f"{phase.value}-{name}" for phase, name, *_ in CASES]


def _undone_by(driver: Driver, before: int) -> list[object]:
    return [a for a in driver.actions[before:] if isinstance(a, SetWeights | TerminateTaskSet)]


@pytest.mark.parametrize(("phase", "name", "cause", "status", "rule"), CASES, ids=IDS)
def test_rollback_enabled_puts_everything_back_on_blue(
    phase: Phase, name: str, cause: Cause, status: Status, rule: AutoRollback
) -> None:
    driver = Driver().reach(phase)
    before = len(driver.actions)
    cause(driver)
    d = driver.deployment
    assert d.status is status
    assert (d.weights, d.test_weights) == (ALL_BLUE, ALL_BLUE)
    assert d.state.green_terminated == d.state.green_launched == (phase is not Phase.BEFORE_INSTALL)
    assert TerminateTaskSet(TaskSetRole.BLUE) not in driver.actions
    ending = d.events[-1]
    assert (ending.kind, ending.status, ending.details["event"]) == (
        EventKind.STATUS,
        status,
        phase,
    )
    assert (
        ending.details["rolled_back"] is d.state.rolled_back is (phase is not Phase.BEFORE_INSTALL)
    )
    assert d.reason and d.reason in ending.message
    if phase is Phase.BEFORE_INSTALL:
        assert _undone_by(driver, before) == []
        assert not any(isinstance(a, LaunchTaskSet) for a in driver.actions)


@pytest.mark.parametrize(("phase", "name", "cause", "status", "rule"), CASES, ids=IDS)
def test_rollback_disabled_leaves_traffic_and_green_where_they_are(
    phase: Phase, name: str, cause: Cause, status: Status, rule: AutoRollback
) -> None:
    driver = Driver(waiting_settings(auto_rollback=frozenset(AutoRollback) - {rule}))
    driver.reach(phase)
    weights, test_weights = driver.deployment.weights, driver.deployment.test_weights
    before = len(driver.actions)
    cause(driver)
    d = driver.deployment
    assert d.status is status
    assert (d.weights, d.test_weights) == (weights, test_weights)
    assert _undone_by(driver, before) == []
    assert not d.state.rolled_back and not d.state.green_terminated
    assert d.events[-1].details["rolled_back"] is False


@pytest.mark.parametrize(
    ("configured", "requested", "rolls_back"),
    [(True, None, True), (False, None, False), (False, True, True), (True, False, False)],
)
def test_stop_request_may_override_the_configured_rule(
    configured: bool, requested: bool | None, rolls_back: bool
) -> None:
    rules = frozenset(AutoRollback)
    if not configured:
        rules -= {AutoRollback.DEPLOYMENT_STOP_ON_REQUEST}
    driver = Driver(waiting_settings(auto_rollback=rules)).reach(Phase.AFTER_ALLOW_TRAFFIC)
    stop(requested)(driver)
    assert driver.deployment.state.rolled_back is rolls_back
    assert (driver.deployment.weights == ALL_BLUE) is rolls_back


def test_rollback_inside_termination_wait_is_an_instant_flip_back() -> None:
    driver = Driver().reach(Phase.TERMINATION_WAIT)
    assert driver.deployment.weights.green == 100
    actions = alarm(driver)
    assert SetWeights(ListenerRole.PRODUCTION, ALL_BLUE) in actions  # type: ignore[operator]
    assert TerminateTaskSet(TaskSetRole.GREEN) in actions  # type: ignore[operator]
    assert driver.deployment.status is Status.STOPPED
    assert driver.deployment.events[-1].details["code"] == "ALARM_ACTIVE"


def test_first_deployment_rollback_only_terminates_green() -> None:
    driver = Driver(waiting_settings(blue_revision=None)).reach(Phase.AFTER_INSTALL)
    before = len(driver.actions)
    failure_inputs(Phase.AFTER_INSTALL)["hook failed"](driver)
    assert _undone_by(driver, before) == [TerminateTaskSet(TaskSetRole.GREEN)]
    assert driver.deployment.status is Status.FAILED
