"""The gate's rules, driven directly with made-up times: no sockets, no clock."""

from __future__ import annotations

import pytest

from bluegreen.gate import GateInputError, Policy, ProbeAt, RunSmoke, Streak, Verdict

POLICY = Policy(consecutive=3, interval=1.0, deadline=10.0, smoke=False, target="http://t/health")


def test_consecutive_good_answers_pass() -> None:
    streak = Streak(POLICY, now=100.0)
    assert streak.next == ProbeAt(100.0)
    assert streak.probed(100.0, True, "HTTP 200") == ProbeAt(101.0)
    assert streak.probed(101.0, True, "HTTP 200") == ProbeAt(102.0)
    assert streak.probed(102.0, True, "HTTP 200") == Verdict(
        True, "3 good answers in a row from http://t/health"
    )
    assert streak.done


def test_a_bad_answer_starts_the_count_again() -> None:
    streak = Streak(POLICY, now=0.0)
    for at, ok in ((0, True), (1, True), (2, False), (3, True), (4, True)):
        assert isinstance(streak.probed(at, ok, "HTTP 503" if not ok else "HTTP 200"), ProbeAt)
    assert streak.count == 2
    assert streak.probed(5.0, True, "HTTP 200") == Verdict(
        True, "3 good answers in a row from http://t/health"
    )


def test_fails_as_soon_as_the_next_probe_would_come_after_the_deadline() -> None:
    streak = Streak(POLICY, now=0.0)
    for at in range(9):
        assert streak.probed(float(at), False, "HTTP 503") == ProbeAt(at + 1.0)
    action = streak.probed(9.5, False, "no answer (ConnectError)")
    assert action == Verdict(
        False,
        "http://t/health did not answer well 3 times in a row within 10s "
        "(last: no answer (ConnectError))",
    )


def test_a_streak_completed_after_the_deadline_does_not_count() -> None:
    streak = Streak(POLICY, now=0.0)
    streak.probed(8.0, True, "HTTP 200")
    streak.probed(9.0, True, "HTTP 200")
    action = streak.probed(10.5, True, "HTTP 200")
    assert isinstance(action, Verdict) and not action.passed


def test_the_smoke_command_runs_once_after_the_streak_with_what_remains() -> None:
    streak = Streak(Policy(2, 1.0, 10.0, smoke=True), now=0.0)
    streak.probed(0.0, True, "HTTP 200")
    assert streak.probed(1.5, True, "HTTP 200") == RunSmoke(timeout=8.5)
    with pytest.raises(GateInputError):
        streak.probed(2.0, True, "HTTP 200")
    assert streak.smoked(False, "exited 3") == Verdict(False, "validation command exited 3")
    with pytest.raises(GateInputError):
        streak.smoked(True, "exited 0")  # the verdict is final: no second run


def test_without_a_probe_the_smoke_command_gets_the_whole_deadline() -> None:
    streak = Streak(Policy(0, 1.0, 30.0, smoke=True), now=5.0)
    assert streak.next == RunSmoke(timeout=30.0)
    assert streak.smoked(True, "exited 0") == Verdict(True, "validation command exited 0")


def test_no_time_left_for_the_smoke_command_fails() -> None:
    streak = Streak(Policy(1, 1.0, 2.0, smoke=True), now=0.0)
    action = streak.probed(2.0, True, "HTTP 200")
    assert isinstance(action, Verdict) and not action.passed
