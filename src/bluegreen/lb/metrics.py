"""Request counters and latency histograms per target and target group.

Recording a request must cost next to nothing on the proxy's hot path, so
it bumps plain integers in one place, the counters of the target that
served it; prometheus-client reads them at scrape time through a custom
collector instead of being called per request. A group's totals are the
sum of its targets' (including targets it has released) and of its own
counters, which only count requests no target took. Alarms read
`GroupMetrics.snapshot(window)`: the difference between the totals now and
a checkpoint of them taken at the window's start (the load balancer's
sweep takes one every `CHECKPOINT_SECONDS`), so a window's error rate and
percentiles need no per-request history.

A 5xx is labelled by who produced it: `app` (the target answered it) or
`proxy` (bluegreen's own 502/503/504), so "zero failed requests" can be
checked without counting the app's deliberate errors.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

if TYPE_CHECKING:
    from .listener import Listener
    from .target import Target
    from .target_group import TargetGroup

# Upper bounds (seconds) of the latency buckets: fine below 10 ms, where the
# proxy's own cost shows, coarse above.
LATENCY_BOUNDS = (
    0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05,
    0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 7.5, 10.0,
    15.0, 30.0, 60.0, float("inf"),
)  # fmt: skip
STATUS_CLASSES = tuple(f"{n}xx" for n in range(10))
# Who answered, as plain integers (an enum member costs a lookup per request).
APP, PROXY = 0, 1
SOURCES = ("app", "proxy")
CHECKPOINT_SECONDS = 0.25
RETENTION_SECONDS = 900.0


def result_index(status: int, source: int) -> int:
    """Where a status class and source are counted in `Counters.results`."""
    return source * len(STATUS_CLASSES) + status // 100


APP_5XX, PROXY_5XX = result_index(500, APP), result_index(500, PROXY)


@dataclass(frozen=True)
class MetricsSnapshot:
    """What one target group served during the last `window` seconds."""

    window: float
    requests: int
    errors_5xx: int
    proxy_errors: int
    error_rate: float
    p50: float | None
    p90: float | None
    p99: float | None
    in_flight: int
    bytes_in: int
    bytes_out: int


class Counters:
    """Cumulative totals of one target (or of a group's own requests)."""

    __slots__ = ("bytes_in", "bytes_out", "latency_buckets", "latency_sum", "results")

    def __init__(self) -> None:
        self.results = [0] * (len(SOURCES) * len(STATUS_CLASSES))  # see result_index
        self.latency_buckets = [0] * len(LATENCY_BOUNDS)
        self.latency_sum = 0.0
        self.bytes_in = 0
        self.bytes_out = 0

    def observe(
        self, status: int, source: int, latency: float, bytes_in: int, bytes_out: int
    ) -> None:
        """Count one answered request."""
        self.results[source * 10 + status // 100] += 1  # result_index, inlined
        self.latency_buckets[bisect_left(LATENCY_BOUNDS, latency)] += 1
        self.latency_sum += latency
        self.bytes_in += bytes_in
        self.bytes_out += bytes_out

    def merge(self, other: Counters) -> None:
        """Add `other`'s totals to these."""
        for i, count in enumerate(other.results):
            self.results[i] += count
        for i, count in enumerate(other.latency_buckets):
            self.latency_buckets[i] += count
        self.latency_sum += other.latency_sum
        self.bytes_in += other.bytes_in
        self.bytes_out += other.bytes_out

    def by_result(self) -> Iterator[tuple[str, str, int]]:
        """(status class, source, count) for every result counted at least once."""
        for i, count in enumerate(self.results):
            if count:
                source, status_class = divmod(i, len(STATUS_CLASSES))
                yield STATUS_CLASSES[status_class], SOURCES[source], count


@dataclass(frozen=True)
class _Totals:
    at: float
    requests: int
    errors: int
    proxy_errors: int
    bytes_in: int
    bytes_out: int
    latency: tuple[int, ...]


class GroupMetrics:
    """A target group's totals, with checkpoints of them for windowed snapshots."""

    def __init__(
        self, targets: Callable[[], Sequence[Target]], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.own = Counters()  # requests no target took: the group had none to offer
        self._targets = targets
        self._released: list[Target] = []  # still counting their last requests
        self._done = Counters()  # released targets that can count no more
        self._clock = clock
        self._checkpoints: deque[_Totals] = deque(
            maxlen=int(RETENTION_SECONDS / CHECKPOINT_SECONDS)
        )
        self.checkpoint()

    def release(self, target: Target) -> None:
        """`target` leaves the group; what it counted (and still counts) stays."""
        self._released.append(target)

    def totals(self) -> Counters:
        """Everything the group has served so far (released targets with
        nothing left in flight are folded in here, once)."""
        finished = [t for t in self._released if t.in_flight == 0]
        if finished:  # nothing in flight: their counters are final
            for target in finished:
                self._done.merge(target.counters)
            self._released = [t for t in self._released if t.in_flight != 0]
        total = Counters()
        total.merge(self.own)
        total.merge(self._done)
        for target in (*self._targets(), *self._released):
            total.merge(target.counters)
        return total

    def checkpoint(self) -> None:
        """Remember the totals now, at most every CHECKPOINT_SECONDS."""
        now = self._clock()
        checkpoints = self._checkpoints
        if not checkpoints or now - checkpoints[-1].at >= CHECKPOINT_SECONDS:
            checkpoints.append(self._totals(now))

    def snapshot(self, window: float) -> MetricsSnapshot:
        """What changed since the newest checkpoint at least `window` old
        (or since the oldest one kept, for a younger group)."""
        now = self._totals(self._clock())
        start = self._checkpoints[0]
        for checkpoint in reversed(self._checkpoints):
            if checkpoint.at <= now.at - window:
                start = checkpoint
                break
        requests = now.requests - start.requests
        errors = now.errors - start.errors
        histogram = [a - b for a, b in zip(now.latency, start.latency, strict=True)]
        return MetricsSnapshot(
            window=window,
            requests=requests,
            errors_5xx=errors,
            proxy_errors=now.proxy_errors - start.proxy_errors,
            error_rate=errors / requests if requests else 0.0,
            p50=percentile(histogram, 0.50),
            p90=percentile(histogram, 0.90),
            p99=percentile(histogram, 0.99),
            in_flight=sum(t.in_flight for t in self._targets()),
            bytes_in=now.bytes_in - start.bytes_in,
            bytes_out=now.bytes_out - start.bytes_out,
        )

    def _totals(self, at: float) -> _Totals:
        totals = self.totals()
        results = totals.results
        return _Totals(
            at=at,
            requests=sum(results),
            errors=results[APP_5XX] + results[PROXY_5XX],
            proxy_errors=results[PROXY_5XX],
            bytes_in=totals.bytes_in,
            bytes_out=totals.bytes_out,
            latency=tuple(totals.latency_buckets),
        )


def percentile(histogram: list[int], q: float) -> float | None:
    """The q-quantile of a bucketed histogram, interpolated inside its bucket."""
    total = sum(histogram)
    if not total:
        return None
    rank = q * total
    seen = 0
    for i, count in enumerate(histogram):
        if count and seen + count >= rank:
            low = LATENCY_BOUNDS[i - 1] if i else 0.0
            high = LATENCY_BOUNDS[i] if i < len(LATENCY_BOUNDS) - 1 else low * 2
            return low + (high - low) * (rank - seen) / count
        seen += count
    return LATENCY_BOUNDS[-2]


GroupLabels = Callable[[str], tuple[str, str]]
"""A target group's role (blue, green, or "" when idle) and revision, by name."""


def no_labels(name: str) -> tuple[str, str]:
    return "", ""


class PrometheusCollector:
    """Reads the counters at scrape time (see the module docstring for why).

    Groups are labelled with their role and revision as well as their name:
    the names (`a`, `b`) stay put while blue and green swap between them, so a
    dashboard asks for `role="green"` and follows the deployment."""

    def __init__(
        self,
        groups: Callable[[], Iterable[TargetGroup]],
        listeners: Callable[[], Iterable[Listener]],
        labels: Callable[[], GroupLabels],
    ) -> None:
        self._groups = groups
        self._listeners = listeners
        self._labels = labels

    def collect(self) -> Iterator[Metric]:
        families = _families()
        requests, group_requests, in_flight, state, transferred, latency = families[:6]
        target_bytes, target_latency, weight = families[6:]
        role_of = self._labels()
        for group in self._groups():
            group_labels = [group.name, *role_of(group.name)]
            for target in group.targets:
                labels = [*group_labels, target.address]
                counters = target.counters
                for code, source, count in counters.by_result():
                    requests.add_metric([*labels, code, source], count)
                in_flight.add_metric(labels, target.in_flight)
                state.add_metric([*labels, target.state.value], 1)
                target_bytes.add_metric([*labels, "in"], counters.bytes_in)
                target_bytes.add_metric([*labels, "out"], counters.bytes_out)
                buckets = _cumulative(counters.latency_buckets)
                target_latency.add_metric(labels, buckets, counters.latency_sum)
            totals = group.metrics.totals()
            for code, source, count in totals.by_result():
                group_requests.add_metric([*group_labels, code, source], count)
            transferred.add_metric([*group_labels, "in"], totals.bytes_in)
            transferred.add_metric([*group_labels, "out"], totals.bytes_out)
            buckets = _cumulative(totals.latency_buckets)
            latency.add_metric(group_labels, buckets, totals.latency_sum)
        for listener in self._listeners():
            for name, share in listener.weights.items():
                weight.add_metric([listener.name, name, *role_of(name)], share)
        yield from families


class ListenerCollector:
    """Each listener's client connections, and those turned away at its limit."""

    def __init__(self, listeners: Callable[[], Iterable[Listener]]) -> None:
        self._listeners = listeners

    def collect(self) -> Iterator[Metric]:
        open_ = GaugeMetricFamily(
            "bluegreen_lb_listener_connections", "Client connections open", labels=["listener"]
        )
        limit = GaugeMetricFamily(
            "bluegreen_lb_listener_max_connections", "Its limit", labels=["listener"]
        )
        refused = CounterMetricFamily(
            "bluegreen_lb_listener_connections_refused",
            "Client connections answered 503 at max_connections",
            labels=["listener"],
        )
        for listener in self._listeners():
            open_.add_metric([listener.name], len(listener.connections))
            limit.add_metric([listener.name], listener.max_connections)
            refused.add_metric([listener.name], listener.refused)
        yield from (open_, limit, refused)


def _families() -> tuple[Any, ...]:
    group = ["target_group", "role", "revision"]
    target = [*group, "target"]
    return (
        CounterMetricFamily(
            "bluegreen_lb_requests",
            "Requests answered, by status class and by who answered (app or proxy)",
            labels=[*target, "code", "source"],
        ),
        CounterMetricFamily(
            "bluegreen_lb_target_group_requests",
            "Requests answered per target group, including deregistered targets'",
            labels=[*group, "code", "source"],
        ),
        GaugeMetricFamily("bluegreen_lb_in_flight", "Requests in flight", labels=target),
        GaugeMetricFamily(
            "bluegreen_lb_target_state", "1 for the target's state", labels=[*target, "state"]
        ),
        CounterMetricFamily("bluegreen_lb_bytes", "Body bytes", labels=[*group, "direction"]),
        HistogramMetricFamily(
            "bluegreen_lb_request_duration_seconds", "Time to the end of the response", labels=group
        ),
        CounterMetricFamily(
            "bluegreen_lb_target_bytes", "Body bytes", labels=[*target, "direction"]
        ),
        HistogramMetricFamily(
            "bluegreen_lb_target_request_duration_seconds",
            "Time to the end of the response",
            labels=target,
        ),
        GaugeMetricFamily(
            "bluegreen_lb_listener_weight",
            "Share of the listener's requests forwarded to the target group, in percent",
            labels=["listener", *group],
        ),
    )


def _cumulative(buckets: list[int]) -> list[tuple[str, float]]:
    total, out = 0, []
    for bound, count in zip(LATENCY_BOUNDS, buckets, strict=True):
        total += count
        out.append(("+Inf" if bound == float("inf") else repr(bound), float(total)))
    return out
