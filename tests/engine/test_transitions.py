"""Every entry of the transition table, driven by a real input, lands where the table says."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from bluegreen.engine.actions import LaunchTaskSet, Record
from bluegreen.engine.deployment import replay
from bluegreen.engine.events import ALL_BLUE, EventKind
from bluegreen.engine.inputs import (
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
from bluegreen.engine.rejections import IllegalInput, RejectedInput, StaleInput
from bluegreen.engine.transitions import TRANSITIONS, InputKind, Phase, Trigger, kind_of
from bluegreen.vocabulary import LifecycleEvent, Status, StepStatus

from .lifecycle import Driver, alarm, failure_inputs, stop, waiting_settings


def _cause(phase: Phase, trigger: Trigger) -> Callable[[Driver], object]:
    if trigger in (Trigger.START, Trigger.DONE):
        return Driver.complete
    if trigger is Trigger.FAILURE:
        return next(iter(failure_inputs(phase).values()))
    if trigger is Trigger.ALARM:
        return alarm
    if trigger is Trigger.STOP:
        return stop(None)
    return Driver.tick_to_deadline  # STEP, READY_TIMED_OUT


TABLE = [
    (phase, trigger, target)
    for phase, moves in TRANSITIONS.items()
    for trigger, target in moves.items()
]


@pytest.mark.parametrize(("phase", "trigger", "target"), TABLE, ids=lambda v: str(v))
def test_each_transition_goes_where_the_table_says(
    phase: Phase, trigger: Trigger, target: Phase
) -> None:
    driver = Driver().reach(phase)
    _cause(phase, trigger)(driver)
    assert driver.deployment.phase is target


def test_every_active_phase_can_fail_be_alarmed_and_stopped() -> None:
    for phase in Phase:
        if phase.ending:
            assert TRANSITIONS[phase] == {}
        elif phase is not Phase.CREATED:
            assert {Trigger.FAILURE, Trigger.ALARM, Trigger.STOP} <= set(TRANSITIONS[phase])


def test_step_moves_green_up_and_stays_in_allow_traffic() -> None:
    driver = Driver().reach(Phase.ALLOW_TRAFFIC)
    assert driver.deployment.weights.green == 10
    driver.tick_to_deadline()
    assert (driver.deployment.phase, driver.deployment.weights.green) == (Phase.ALLOW_TRAFFIC, 55)


def test_phases_with_nothing_to_wait_for_pass_straight_through() -> None:
    settings = waiting_settings(hooks={}, ready_wait=0.0, termination_wait=0.0)
    driver = Driver(settings)
    driver.feed(Started)
    assert driver.deployment.phase is Phase.INSTALL
    skipped = [e.lifecycle_event for e in driver.deployment.events if e.step_status == "Skipped"]
    assert skipped == [LifecycleEvent.BEFORE_INSTALL]
    driver.reach(Phase.ALLOW_TRAFFIC)
    while driver.deployment.phase is Phase.ALLOW_TRAFFIC:
        driver.tick_to_deadline()
    assert driver.deployment.status is Status.SUCCEEDED


def _rejected_inputs() -> list[tuple[Phase, Callable[[float], Input], type[RejectedInput]]]:
    """At least one phase for each kind of input where the tables refuse it."""
    other_hook = LifecycleEvent.AFTER_ALLOW_TRAFFIC
    return [
        (Phase.INSTALL, Started, IllegalInput),
        (Phase.CREATED, Tick, IllegalInput),
        (Phase.BEFORE_INSTALL, TaskSetReady, IllegalInput),
        (Phase.INSTALL, lambda at: TaskSetReady(at, TaskSetRole.BLUE), IllegalInput),
        (Phase.BEFORE_INSTALL, lambda at: TaskSetFailed(at, TaskSetRole.GREEN, "?"), IllegalInput),
        (
            Phase.INSTALL,
            lambda at: HookFinished(at, LifecycleEvent.AFTER_INSTALL, True),
            IllegalInput,
        ),
        (Phase.BEFORE_INSTALL, lambda at: HookFinished(at, other_hook, True), IllegalInput),
        (Phase.BEFORE_INSTALL, lambda at: ValidationResult(at, True), IllegalInput),
        (Phase.INSTALL, ContinueRequested, IllegalInput),
        (Phase.ALLOW_TRAFFIC, ContinueRequested, IllegalInput),
        (Phase.CREATED, lambda at: Alarm(at, "p99", "slow"), IllegalInput),
        (Phase.AFTER_INSTALL, TaskSetReady, StaleInput),
        (Phase.AFTER_ALLOW_TEST_TRAFFIC, lambda at: ValidationResult(at, True), StaleInput),
        (Phase.SUCCEEDED, Tick, StaleInput),
        (Phase.SUCCEEDED, lambda at: TaskSetFailed(at, TaskSetRole.BLUE, "?"), StaleInput),
        (Phase.SUCCEEDED, lambda at: StopRequested(at, True), StaleInput),
        (Phase.SUCCEEDED, Started, IllegalInput),
    ]


def test_every_kind_of_input_has_a_phase_that_refuses_it() -> None:
    kinds = {kind_of(make(1.0)) for _, make, _ in _rejected_inputs()}
    assert kinds == set(InputKind)


@pytest.mark.parametrize(("phase", "make", "error"), _rejected_inputs())
def test_an_input_the_phase_does_not_take_raises_and_changes_nothing(
    phase: Phase, make: Callable[[float], Input], error: type[RejectedInput]
) -> None:
    driver = Driver().reach(phase)
    d = driver.deployment
    before = (d.state, list(d.events), list(d.inputs), d.deadline)
    with pytest.raises(error, match=f"is {error.verdict} in {phase.value}"):
        driver.feed(make)
    assert (d.state, d.events, d.inputs, d.deadline) == before


def _accepted_without_a_move() -> list[tuple[Phase, Callable[[float], Input]]]:
    return [
        (Phase.INSTALL, lambda at: TaskSetFailed(at, TaskSetRole.BLUE, "blue hiccup")),
        (Phase.ALLOW_TRAFFIC, Tick),
        (Phase.ALLOW_TEST_TRAFFIC, lambda at: ValidationResult(at, False)),
    ]


@pytest.mark.parametrize(("phase", "make"), _accepted_without_a_move())
def test_inputs_taken_that_complete_nothing_only_record(
    phase: Phase, make: Callable[[float], Input]
) -> None:
    driver = Driver().reach(phase)
    before = driver.deployment.state
    actions = driver.feed(make)
    assert driver.deployment.state == before
    assert all(isinstance(a, Record) for a in actions)


def test_a_hook_result_after_its_timeout_is_stale_and_the_tick_fails_it() -> None:
    driver = Driver().reach(Phase.AFTER_INSTALL)
    deadline = driver.deployment.deadline
    assert deadline is not None
    with pytest.raises(StaleInput, match="after the deadline"):
        driver.deployment.handle(HookFinished(deadline + 1, LifecycleEvent.AFTER_INSTALL, True))
    assert driver.deployment.phase is Phase.AFTER_INSTALL
    driver.deployment.handle(Tick(deadline + 2))
    assert driver.deployment.status is Status.FAILED
    assert "timed out after 20s" in driver.deployment.reason


def test_replay_skips_what_the_deployment_rejected() -> None:
    driver = Driver().reach(Phase.INSTALL)
    fed = [*driver.deployment.inputs, ContinueRequested(driver.now + 1)]
    with pytest.raises(IllegalInput):
        driver.deployment.handle(fed[-1])
    again = replay("d-1", driver.deployment.settings, fed)
    assert (again.state, again.events) == (driver.deployment.state, driver.deployment.events)


def test_validation_needs_consecutive_successes() -> None:
    driver = Driver().reach(Phase.ALLOW_TEST_TRAFFIC)
    for ok in (True, False, True):
        driver.feed(lambda at, ok=ok: ValidationResult(at, ok))  # type: ignore[misc]
        assert driver.deployment.phase is Phase.ALLOW_TEST_TRAFFIC
    driver.feed(lambda at: ValidationResult(at, True))
    assert driver.deployment.phase is Phase.AFTER_ALLOW_TEST_TRAFFIC


def test_ready_wait_shows_ready_and_continue_resumes() -> None:
    driver = Driver().reach(Phase.READY_WAIT)
    assert driver.deployment.status is Status.READY
    driver.feed(ContinueRequested)
    assert (driver.deployment.phase, driver.deployment.status) == (
        Phase.BEFORE_ALLOW_TRAFFIC,
        Status.IN_PROGRESS,
    )


def test_ready_wait_timeout_with_continue_action_reroutes() -> None:
    from bluegreen.vocabulary import ReadyAction

    driver = Driver(waiting_settings(ready_timeout_action=ReadyAction.CONTINUE))
    driver.reach(Phase.READY_WAIT).tick_to_deadline()
    assert driver.deployment.phase is Phase.BEFORE_ALLOW_TRAFFIC


def test_succeeded_terminates_blue_and_leaves_green_serving() -> None:
    driver = Driver().reach(Phase.SUCCEEDED)
    d = driver.deployment
    assert (d.status, d.weights.green, d.test_weights.green) == (Status.SUCCEEDED, 100, 100)
    assert d.state.blue_terminated and not d.state.green_terminated and not d.state.rolled_back


def test_first_deployment_goes_to_green_at_once_and_terminates_nothing() -> None:
    driver = Driver(waiting_settings(blue_revision=None)).reach(Phase.SUCCEEDED)
    assert [w.green for w in driver.production_weights()] == [100]
    assert not driver.deployment.state.blue_terminated
    assert driver.deployment.deadline is None


def test_records_carry_input_times_and_end_with_one_terminal_status() -> None:
    driver = Driver().reach(Phase.SUCCEEDED)
    events = driver.deployment.events
    assert [e.time for e in events] == sorted(e.time for e in events)
    assert events[-1].time == driver.now
    statuses = [e for e in events if e.kind is EventKind.STATUS and e.status.terminal]
    assert len(statuses) == 1
    hooks = [
        e for e in events if e.kind is EventKind.LIFECYCLE and e.step_status is StepStatus.SUCCEEDED
    ]
    assert [e.lifecycle_event for e in hooks] == [e for e in LifecycleEvent]


def test_stop_before_start_ends_stopped_with_nothing_to_undo() -> None:
    driver = Driver()
    driver.feed(lambda at: StopRequested(at, True))
    assert driver.deployment.status is Status.STOPPED
    assert driver.deployment.weights == ALL_BLUE and not driver.deployment.state.rolled_back


def test_install_launches_green_at_full_size() -> None:
    driver = Driver(replace(waiting_settings(), desired_count=5)).reach(Phase.INSTALL)
    assert LaunchTaskSet(TaskSetRole.GREEN, "web:2", 5) in driver.actions
