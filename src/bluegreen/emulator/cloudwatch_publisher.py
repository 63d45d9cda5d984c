"""The target groups' metrics, sent to CloudWatch as ALB sends them, so that
GetMetricStatistics and GetMetricData (moto's, over what it stores) answer them.

ALB "measures and sends its metrics in 60-second intervals", and only what
has data
(https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html).
Here every 60 seconds × `--time-scale`, each target group that a listener
forwards to gets one data point per metric of `cloudwatch_metrics` that has
one, stored as PutMetricData's `StatisticValues` would be (Sum, SampleCount,
Minimum, Maximum) under the dimensions `TargetGroup` and `LoadBalancer`,
timestamped with the wall clock. A query with `LoadBalancer` alone sums the
groups of that load balancer (moto matches the dimensions asked for), which
is ALB's load-balancer-wide count. The newest `KEPT` points are kept.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from . import cloudwatch_metrics as metrics
from . import moto_state

if TYPE_CHECKING:
    from .world import World

INTERVAL = 60.0
KEPT = 20_000
UNITS = {metrics.LATENCY: "Seconds", **{name: "Count" for name in metrics.COUNTS + metrics.GAUGES}}


class MetricPublisher:
    def __init__(self, world: World) -> None:
        self.world = world

    async def run(self) -> None:
        balancer = self.world.balancer
        before = metrics.read(balancer, list(balancer.groups))
        while True:
            await asyncio.sleep(max(0.05, INTERVAL * self.world.scale))
            after = metrics.read(balancer, list(balancer.groups))
            self.publish(before, after)
            before = after

    def publish(self, before: metrics.Readings, after: metrics.Readings) -> None:
        from moto.cloudwatch.models import MetricAggregatedDatum

        now = datetime.now(UTC).replace(tzinfo=None)  # moto keeps naive UTC times
        for region, group, balancer in self._pairs():
            # In this order: moto's GetMetricData compares the dimensions in order.
            dimensions = [
                {"Name": "LoadBalancer", "Value": balancer},
                {"Name": "TargetGroup", "Value": group.rsplit(":", 1)[1]},
            ]
            period = {group: after[group]} if group in after else {}
            for name in metrics.METRICS:
                stats = _statistics(name, before, period)
                if stats is None:
                    continue
                moto_state.cloudwatch(region).metric_data.append(
                    MetricAggregatedDatum(
                        namespace=metrics.NAMESPACE,
                        name=name,
                        min_stat=stats["Minimum"],
                        max_stat=stats["Maximum"],
                        sample_count=stats["SampleCount"],
                        sum_stat=stats["Sum"],
                        dimensions=dimensions,
                        timestamp=now,
                        unit=UNITS[name],
                    )
                )
        for region in {region for region, _, _ in self._pairs()}:
            _prune(moto_state.cloudwatch(region))

    def _pairs(self) -> list[tuple[str, str, str]]:
        """(region, target group ARN, `app/name/id`) for each group a listener
        forwards to."""
        pairs = set()
        for arn, listener in self.world.balancer.listeners.items():
            if ":listener/" not in arn:
                continue
            balancer = arn.split(":listener/", 1)[1].rsplit("/", 1)[0]
            pairs |= {(arn.split(":")[3], group, balancer) for group in listener.weights}
        return sorted(pairs)


def _statistics(
    name: str, before: metrics.Readings, after: metrics.Readings
) -> dict[str, float] | None:
    """Sum, SampleCount, Minimum and Maximum of one period; None without a data point
    (the four have one together or not at all)."""
    found = {}
    for statistic in ("Sum", "SampleCount", "Minimum", "Maximum"):
        value = metrics.datapoint(name, statistic, before, after)
        if value is None:
            return None
        found[statistic] = value
    return found


def _prune(backend: Any) -> None:
    ours = [d for d in backend.metric_data if d.namespace == metrics.NAMESPACE]
    if len(ours) > KEPT:
        dropped = {id(d) for d in ours[: len(ours) - KEPT]}
        backend.metric_data = [d for d in backend.metric_data if id(d) not in dropped]
