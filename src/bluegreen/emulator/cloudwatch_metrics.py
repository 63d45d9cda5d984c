"""The `AWS/ApplicationELB` metrics of the emulated target groups, read from our
load balancer's own counters (`bluegreen.lb.metrics`).

What each metric counts, its dimensions, its meaningful statistics and when
ALB reports it at all follow
https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html:

- `RequestCount`, `HTTPCode_Target_5XX_Count` (the app's 5xx) and
  `HTTPCode_ELB_5XX_Count` (the load balancer's own 502/503/504) are counts,
  reported for a period only when nonzero; Sum (and SampleCount) is the
  count, and "Minimum, Maximum, and Average all return 1".
- `TargetResponseTime` is reported when requests were answered: Average,
  Minimum, Maximum and pNN come from the latency histogram (to its buckets'
  precision), Sum is the total time, SampleCount the number of requests.
- `UnHealthyHostCount` and `HealthyHostCount` are reported every period while
  the group is health checked; every statistic of them is the count at the
  period's end (one sample per period).

The dimensions are ALB's: `TargetGroup` is `targetgroup/name/id` (the end of
the target group's ARN), `LoadBalancer` is `app/name/id` (the end of the load
balancer's ARN). `LoadBalancer` alone sums every target group its listeners
forward to. Health checks are not counted, as on ALB.

A period's value is the difference of two cumulative `Reading`s taken at its
start and its end, so nothing is kept per request.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ..lb.load_balancer import LoadBalancer
from ..lb.metrics import APP_5XX, PROXY_5XX, percentile
from ..lb.target import TargetState

NAMESPACE = "AWS/ApplicationELB"
COUNTS = ("RequestCount", "HTTPCode_Target_5XX_Count", "HTTPCode_ELB_5XX_Count")
GAUGES = ("UnHealthyHostCount", "HealthyHostCount")
LATENCY = "TargetResponseTime"
METRICS = (*COUNTS, LATENCY, *GAUGES)
DIMENSIONS = frozenset({"TargetGroup", "LoadBalancer"})
STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")


@dataclass(frozen=True)
class Reading:
    """One target group's cumulative totals (and host counts) at one instant."""

    requests: int
    target_5xx: int
    elb_5xx: int
    latency_sum: float
    latency: tuple[int, ...]
    unhealthy: int
    healthy: int


Readings = Mapping[str, Reading]
"""Target group ARN → its reading."""


def read(balancer: LoadBalancer, groups: Iterable[str]) -> dict[str, Reading]:
    """The readings of the named groups that exist now."""
    found = {}
    for arn in groups:
        group = balancer.groups.get(arn)
        if group is None:
            continue
        totals = group.metrics.totals()
        states = [target.state for target in group.targets]
        found[arn] = Reading(
            requests=sum(totals.results),
            target_5xx=totals.results[APP_5XX],
            elb_5xx=totals.results[PROXY_5XX],
            latency_sum=totals.latency_sum,
            latency=tuple(totals.latency_buckets),
            unhealthy=states.count(TargetState.UNHEALTHY),
            healthy=states.count(TargetState.HEALTHY),
        )
    return found


def resolve(balancer: LoadBalancer, dimensions: Mapping[str, str]) -> list[str]:
    """The target group ARNs a metric with these dimensions covers ([] when they
    name nothing that exists: the metric has no data, as on AWS)."""
    group_value = dimensions.get("TargetGroup")
    balancer_value = dimensions.get("LoadBalancer")
    if balancer_value is not None and not _balancer_exists(balancer, balancer_value):
        return []
    if group_value is not None:
        return [arn for arn in balancer.groups if arn.endswith(f":{group_value}")]
    return sorted(_forwarded_by(balancer, balancer_value))


def _forwarded_by(balancer: LoadBalancer, value: str | None) -> set[str]:
    """Target groups any listener of the load balancer `app/name/id` forwards to."""
    return {
        group
        for arn, listener in balancer.listeners.items()
        if _listener_of(arn, value)
        for group in listener.weights
    }


def _balancer_exists(balancer: LoadBalancer, value: str | None) -> bool:
    return any(_listener_of(arn, value) for arn in balancer.listeners)


def _listener_of(listener_arn: str, balancer_value: str | None) -> bool:
    """A listener's ARN ends `listener/app/name/id/listener-id`."""
    return f":listener/{balancer_value}/" in listener_arn


def datapoint(metric: str, statistic: str, before: Readings, after: Readings) -> float | None:
    """The statistic of `metric` over the period between two readings, summed over
    the groups of `after`; None when ALB would report no data point. A group
    missing from `before` was created during the period and counts from zero."""
    arns = list(after)
    if not arns:
        return None
    start = {arn: before.get(arn) or _zero(after[arn]) for arn in arns}
    if metric in GAUGES:
        field = "unhealthy" if metric == "UnHealthyHostCount" else "healthy"
        value = float(sum(getattr(after[arn], field) for arn in arns))
        return 1.0 if statistic == "SampleCount" else value
    if metric in COUNTS:
        field = {"RequestCount": "requests", "HTTPCode_Target_5XX_Count": "target_5xx"}.get(
            metric, "elb_5xx"
        )
        count = sum(getattr(after[arn], field) - getattr(start[arn], field) for arn in arns)
        if count <= 0:
            return None
        return float(count) if statistic in ("Sum", "SampleCount") else 1.0
    return _latency(statistic, [start[a] for a in arns], [after[a] for a in arns])


def _zero(like: Reading) -> Reading:
    """A new group's counters before it served anything."""
    return Reading(0, 0, 0, 0.0, (0,) * len(like.latency), 0, 0)


def _latency(statistic: str, before: Sequence[Reading], after: Sequence[Reading]) -> float | None:
    requests = sum(a.requests - b.requests for a, b in zip(after, before, strict=True))
    if requests <= 0:
        return None
    total = sum(a.latency_sum - b.latency_sum for a, b in zip(after, before, strict=True))
    histogram = [0] * len(after[0].latency)
    for a, b in zip(after, before, strict=True):
        for i, (now, then) in enumerate(zip(a.latency, b.latency, strict=True)):
            histogram[i] += now - then
    quantile = {"Minimum": 0.0, "Maximum": 1.0}.get(statistic)
    if statistic.startswith("p"):
        quantile = float(statistic[1:]) / 100
    if quantile is not None:
        return percentile(histogram, quantile)
    return {"Sum": total, "SampleCount": float(requests)}.get(statistic, total / requests)


def evaluable(statistic: str) -> bool:
    """A statistic we compute: the five plain ones, or a percentile `pNN(.NN)`."""
    if statistic in STATISTICS:
        return True
    try:
        return statistic.startswith("p") and 0 <= float(statistic[1:]) <= 100
    except ValueError:
        return False
