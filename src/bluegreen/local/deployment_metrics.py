"""The deployment's own gauges for /metrics, beside the load balancer's counters.

The load balancer knows requests; only the service knows which deployment
runs, in which status, from which revision to which. These gauges let an
alert or a Grafana panel say "green is 20 % of web:7 over web:6, InProgress"
without reading the API.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from prometheus_client.core import GaugeMetricFamily, Metric

from ..vocabulary import Status


@dataclass(frozen=True)
class DeploymentFacts:
    deployment_id: str
    status: Status
    revision: str
    blue_revision: str | None


class DeploymentCollector:
    def __init__(self, facts: Callable[[], DeploymentFacts | None]) -> None:
        self._facts = facts

    def collect(self) -> Iterator[Metric]:
        status = GaugeMetricFamily(
            "bluegreen_deployment_status",
            "1 for the status of the deployment in flight, or of the last one",
            labels=["deployment_id", "status"],
        )
        info = GaugeMetricFamily(
            "bluegreen_deployment_info",
            "The deployment in flight, or the last one: 1, labelled with its revisions",
            labels=["deployment_id", "revision", "blue_revision"],
        )
        running = GaugeMetricFamily(
            "bluegreen_deployment_in_progress", "1 while a deployment is in flight"
        )
        facts = self._facts()
        if facts is not None:
            for each in Status:
                status.add_metric([facts.deployment_id, each.value], float(each is facts.status))
            labels = [facts.deployment_id, facts.revision, facts.blue_revision or ""]
            info.add_metric(labels, 1)
        running.add_metric([], float(facts is not None and not facts.status.terminal))
        yield from (status, info, running)
