"""CloudWatch's alarm evaluation (M out of N, TreatMissingData) and the ALB
metrics' statistics, driven directly: no endpoint, no clock."""

from __future__ import annotations

import pytest

from bluegreen.emulator.cloudwatch_alarms import ALARM, INSUFFICIENT, OK, Evaluation, Rule
from bluegreen.emulator.cloudwatch_metrics import Reading, datapoint
from bluegreen.lb.metrics import LATENCY_BOUNDS


def evaluate(points: list[float | None], treat: str = "missing", m: int = 2, n: int = 3) -> str:
    rule = Rule("GreaterThanOrEqualToThreshold", 5.0, n, m, treat)
    evaluation = Evaluation(rule)
    for point in points:
        evaluation.add(point)
    return evaluation.state("OK")[0]


@pytest.mark.parametrize(
    ("points", "treat", "state"),
    [
        ([1, 9, 9], "missing", ALARM),  # 2 of the last 3 breach
        ([9, 1, 1], "missing", OK),
        ([9, 9, 1, 1], "missing", OK),  # the oldest point left the range
        ([None, None, None], "missing", INSUFFICIENT),
        ([None, None, None], "ignore", OK),  # the state it had is kept
        ([None, None, None], "breaching", ALARM),
        ([None, None, None], "notBreaching", OK),
        ([9, None, None], "missing", OK),  # one breach of the one present
        ([9, None, None], "breaching", ALARM),
        ([9, None, 9], "notBreaching", ALARM),
        ([9], "breaching", ALARM),  # periods before the alarm existed are missing
        ([9], "missing", OK),
    ],
)
def test_m_out_of_n_with_missing_data(points: list[float | None], treat: str, state: str) -> None:
    assert evaluate(points, treat) == state


def test_the_reason_names_the_datapoints_and_the_threshold() -> None:
    evaluation = Evaluation(Rule("GreaterThanThreshold", 5.0, 1, 1))
    evaluation.add(12.0)
    assert evaluation.state("OK") == (
        ALARM,
        "Threshold Crossed: 1 out of the last 1 datapoints [12] was greater than the "
        "threshold (5) (minimum 1 datapoints for OK -> ALARM transition).",
    )


def reading(
    requests: int, target_5xx: int = 0, latency: float = 0.0, unhealthy: int = 0
) -> Reading:
    buckets = [0] * len(LATENCY_BOUNDS)
    buckets[LATENCY_BOUNDS.index(0.01)] = requests  # every request took up to 10 ms
    return Reading(requests, target_5xx, 0, latency, tuple(buckets), unhealthy, 2 - unhealthy)


def test_count_statistics_are_alb_s() -> None:
    before, after = {"tg": reading(10, 1)}, {"tg": reading(30, 5)}
    assert datapoint("RequestCount", "Sum", before, after) == 20
    assert datapoint("HTTPCode_Target_5XX_Count", "Sum", before, after) == 4
    # "Minimum, Maximum, and Average all return 1" for a count.
    assert datapoint("HTTPCode_Target_5XX_Count", "Average", before, after) == 1
    # A count that stayed zero is not reported: a missing data point, not 0.
    assert datapoint("HTTPCode_ELB_5XX_Count", "Sum", before, after) is None


def test_response_time_and_host_counts() -> None:
    before = {"tg": reading(10, latency=0.05)}
    after = {"tg": reading(30, latency=0.15, unhealthy=1)}
    assert datapoint("TargetResponseTime", "Average", before, after) == pytest.approx(0.005)
    assert 0.0075 < datapoint("TargetResponseTime", "p99", before, after) <= 0.01  # type: ignore[operator]
    assert datapoint("UnHealthyHostCount", "Maximum", before, after) == 1
    assert datapoint("HealthyHostCount", "Minimum", before, after) == 1
    assert datapoint("TargetResponseTime", "Average", after, after) is None  # no request
    assert datapoint("RequestCount", "Sum", after, {}) is None  # the group is gone


def test_a_group_created_during_the_period_counts_from_zero() -> None:
    """Requests a new group served before the period ended are in its first
    data point (they were lost: a flaky count of 28 of 30 requests)."""
    after = {"tg": reading(30, 2, latency=0.15)}
    assert datapoint("RequestCount", "Sum", {}, after) == 30
    assert datapoint("HTTPCode_Target_5XX_Count", "Sum", {}, after) == 2
    assert datapoint("TargetResponseTime", "Average", {}, after) == pytest.approx(0.005)
    assert datapoint("RequestCount", "Sum", {"old": reading(5)}, after) == 30
