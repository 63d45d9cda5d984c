"""CloudWatch metric alarms that fire from the emulated target groups' metrics.

moto stores the alarms (PutMetricAlarm, DescribeAlarms, SetAlarmState,
DeleteAlarms) and never evaluates one. Here, every alarm on an
`AWS/ApplicationELB` metric of `cloudwatch_metrics` whose dimensions name a
`TargetGroup` or a `LoadBalancer` is evaluated as CloudWatch does, following
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
("Using Amazon CloudWatch alarms"):

- one data point per `Period` (times `--time-scale`), the alarm's
  `Statistic` or `ExtendedStatistic` of the metric over that period;
- each compared with `Threshold` by `ComparisonOperator`; the alarm goes to
  ALARM when `DatapointsToAlarm` (default `EvaluationPeriods`) of the last
  `EvaluationPeriods` data points breach, to OK otherwise;
- a period without a data point (ALB reports counts only when nonzero) is
  taken as `TreatMissingData` says: `breaching`, `notBreaching`, `ignore`
  (the state stays) or `missing` (the default: not counted; INSUFFICIENT_DATA
  when every point of the range is missing), as
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html
  has it;
- a new alarm starts in INSUFFICIENT_DATA. SetAlarmState still works, and as
  on AWS the next evaluation puts the state back to what the data say.

Our reading, where the page leaves it open: the periods before the alarm
existed count as missing, and with `missing` a range with some points present
is OK unless `DatapointsToAlarm` of them breach.

Alarms we cannot evaluate (other namespaces and metrics, metric math,
anomaly-detection comparisons, other dimensions) are left to SetAlarmState,
and the log says so when one is put.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import cloudwatch_metrics as metrics
from . import moto_state
from .endpoint import Behaviour
from .protocol import Call

if TYPE_CHECKING:
    from .world import World

log = logging.getLogger(__name__)

OK, ALARM, INSUFFICIENT = "OK", "ALARM", "INSUFFICIENT_DATA"
COMPARISONS = {
    "GreaterThanOrEqualToThreshold": ("greater than or equal to", float.__ge__),
    "GreaterThanThreshold": ("greater than", float.__gt__),
    "LessThanThreshold": ("less than", float.__lt__),
    "LessThanOrEqualToThreshold": ("less than or equal to", float.__le__),
}
MISSING_TREATMENTS = ("breaching", "notBreaching", "ignore", "missing")
SHORTEST_PERIOD = 0.05
"""Seconds: a period never lasts less here, however small `--time-scale` is."""


@dataclass(frozen=True)
class Rule:
    """What an alarm compares, and how many of its data points must breach."""

    comparison: str
    threshold: float
    evaluation_periods: int
    datapoints_to_alarm: int
    treat_missing: str = "missing"

    def breaches(self, value: float) -> bool:
        return bool(COMPARISONS[self.comparison][1](float(value), float(self.threshold)))


class Evaluation:
    """The last `EvaluationPeriods` data points of one alarm (None: missing), and the
    state they call for. Pure: the caller brings the data points."""

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.recent: deque[float | None] = deque(maxlen=rule.evaluation_periods)

    def add(self, value: float | None) -> None:
        self.recent.append(value)

    def state(self, current: str) -> tuple[str, str]:
        """The state the range calls for, and CloudWatch's kind of reason."""
        rule = self.rule
        points = [*self.recent, *[None] * (rule.evaluation_periods - len(self.recent))]
        marks = [None if v is None else rule.breaches(v) for v in points]
        if rule.treat_missing in ("breaching", "notBreaching"):
            missing_as = rule.treat_missing == "breaching"
            marks = [missing_as if m is None else m for m in marks]
        present = [m for m in marks if m is not None]
        if not present:
            if rule.treat_missing == "ignore":
                return current, "no data points: the state is kept (TreatMissingData ignore)"
            return INSUFFICIENT, f"Insufficient Data: {len(points)} datapoints were unknown."
        breaching = sum(present)
        alarming = breaching >= rule.datapoints_to_alarm
        counted = breaching if alarming else len(present) - breaching
        shown = ", ".join("missing" if v is None else f"{v:g}" for v in points)
        phrase = ("" if alarming else "not ") + COMPARISONS[rule.comparison][0]
        reason = (
            f"Threshold Crossed: {counted} out of the last {len(points)} datapoints [{shown}] "
            f"{'was' if counted == 1 else 'were'} {phrase} the threshold ({rule.threshold:g}) "
            f"(minimum {rule.datapoints_to_alarm} datapoints for OK -> ALARM transition)."
        )
        return (ALARM if alarming else OK), reason


def not_evaluated(alarm: Any) -> str | None:
    """Why the emulator cannot evaluate this moto alarm; None when it can."""
    if alarm.metric_data_queries:
        return "metric math alarms are not evaluated"
    if alarm.namespace != metrics.NAMESPACE or alarm.metric_name not in metrics.METRICS:
        return f"only {metrics.NAMESPACE} {', '.join(metrics.METRICS)} are evaluated"
    names = {d.name for d in alarm.dimensions}
    if not names or not names <= metrics.DIMENSIONS:
        return "its dimensions must be TargetGroup and/or LoadBalancer"
    if alarm.comparison_operator not in COMPARISONS:
        return f"the comparison {alarm.comparison_operator} is not evaluated"
    if not metrics.evaluable(alarm.extended_statistic or alarm.statistic or ""):
        return f"the statistic {alarm.extended_statistic or alarm.statistic} is not evaluated"
    return None


def rule_of(alarm: Any) -> Rule:
    periods = int(alarm.evaluation_periods)
    treat = alarm.treat_missing_data if alarm.treat_missing_data in MISSING_TREATMENTS else None
    return Rule(
        comparison=alarm.comparison_operator,
        threshold=float(alarm.threshold),
        evaluation_periods=periods,
        datapoints_to_alarm=int(alarm.datapoints_to_alarm or periods),
        treat_missing=treat or "missing",
    )


class CloudWatchAlarms:
    """One watcher task per evaluated alarm, on the emulator's loop."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.watching: dict[tuple[str, str], tuple[Any, asyncio.Task[None]]] = {}
        """(region, alarm name) → the moto alarm watched and its task."""

    def behaviour(self) -> Behaviour:
        changes = ("PutMetricAlarm", "DeleteAlarms")
        return Behaviour(after={("cloudwatch", op): self._changed for op in changes})

    def _changed(self, call: Call) -> None:
        self.world.loop.run(self.sync(call.region))

    async def sync(self, region: str) -> None:
        """Watch every evaluable alarm moto holds for `region`, and no other."""
        alarms = moto_state.cloudwatch(region).alarms
        for key, (alarm, task) in list(self.watching.items()):
            if key[0] == region and alarms.get(key[1]) is not alarm:
                task.cancel()
                del self.watching[key]
        for name, alarm in list(alarms.items()):
            if (region, name) in self.watching:
                continue
            why = not_evaluated(alarm)
            if why is not None:
                log.warning("alarm %s is left to SetAlarmState: %s", name, why)
                continue
            alarm.update_state("Unchecked: Initial alarm creation", "{}", INSUFFICIENT)
            task = asyncio.get_running_loop().create_task(self._watch(alarm))
            self.watching[(region, name)] = (alarm, task)

    async def _watch(self, alarm: Any) -> None:
        evaluation = Evaluation(rule_of(alarm))
        statistic = alarm.extended_statistic or alarm.statistic
        dimensions = {d.name: d.value for d in alarm.dimensions}
        period = max(SHORTEST_PERIOD, float(alarm.period) * self.world.scale)
        balancer = self.world.balancer
        # Every group is read at the period's start, so that one the dimensions
        # come to cover during the period (a listener now forwarding to it)
        # counts from where it stood, and only a group created since from zero.
        before = metrics.read(balancer, list(balancer.groups))
        while True:
            await asyncio.sleep(period)
            after = metrics.read(balancer, list(balancer.groups))
            covered = {a: after[a] for a in metrics.resolve(balancer, dimensions) if a in after}
            value = metrics.datapoint(alarm.metric_name, statistic, before, covered)
            before = after
            evaluation.add(value)
            state, reason = evaluation.state(alarm.state_value)
            if state != alarm.state_value:
                log.info("alarm %s: %s -> %s: %s", alarm.name, alarm.state_value, state, reason)
                alarm.update_state(reason, _reason_data(alarm, evaluation), state)

    async def close(self) -> None:
        for _, task in self.watching.values():
            task.cancel()
        self.watching.clear()


def _reason_data(alarm: Any, evaluation: Evaluation) -> str:
    data: Mapping[str, Any] = {
        "version": "1.0",
        "statistic": alarm.extended_statistic or alarm.statistic,
        "period": int(alarm.period),
        "recentDatapoints": [v for v in evaluation.recent if v is not None],
        "threshold": float(alarm.threshold),
        "evaluatedDatapoints": len(evaluation.recent),
    }
    return json.dumps(data)
