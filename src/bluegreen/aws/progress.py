"""What one poll of an AWS deployment says, and the events between two polls.

CodeDeploy (GetDeployment + the ECS deployment target) and ECS
(DescribeServiceDeployments) answer in different shapes; each platform
reduces an answer to a `Snapshot`, and `changes` turns two consecutive
snapshots into the common `Event` records. So the live view, JSON output
and exit codes see the same stream whichever service drives the deployment.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..engine.events import Event, EventKind, Weights
from ..vocabulary import LifecycleEvent, Status, StepStatus


@dataclass(frozen=True)
class Step:
    """One lifecycle event as the service reports it; `detail` holds its diagnostics."""

    status: StepStatus
    detail: str = ""


@dataclass(frozen=True)
class Snapshot:
    deployment_id: str
    status: Status
    steps: dict[LifecycleEvent, Step] = field(default_factory=dict)
    weights: Weights | None = None
    task_sets: tuple[str, ...] = ()
    message: str = ""
    rollback_id: str | None = None
    """CodeDeploy: the deployment that undoes this one (rollbackInfo)."""
    rolling_back: bool = False
    """ECS: this deployment is being rolled back in place."""
    gate_token: str | None = None
    """What the service needs to continue from Ready (ECS: the PAUSE hook's id)."""
    shares: dict[str, float] = field(default_factory=dict)
    """CodeDeploy: each task set's production trafficWeight, by its identifier."""
    green_set: str = ""
    """CodeDeploy: the identifier of the task set labelled Green."""


EMPTY = Snapshot(deployment_id="", status=Status.CREATED)


def changes(before: Snapshot | None, after: Snapshot) -> list[Event]:
    """Events for everything that differs between two polls, in display order."""
    first = before is None
    previous = before or EMPTY
    events: list[Event] = []
    if first or previous.status is not after.status:
        events.append(_event(after, EventKind.STATUS, _status_line(after)))
    events += _step_events(previous, after)
    if after.weights is not None and after.weights != previous.weights:
        line = traffic_line(after.weights)
        events.append(_event(after, EventKind.TRAFFIC, line, weights=after.weights))
    for line in after.task_sets:
        if line not in previous.task_sets:
            events.append(_event(after, EventKind.TASK_SET, line))
    if after.rollback_id and after.rollback_id != previous.rollback_id:
        line = f"rollback deployment {after.rollback_id} started"
        details = {"rollback_id": after.rollback_id}
        events.append(_event(after, EventKind.ROLLBACK, line, details=details))
    if after.rolling_back and not previous.rolling_back:
        events.append(_event(after, EventKind.ROLLBACK, f"rolling back: {after.message}"))
    return events


def traffic_line(weights: Weights) -> str:
    return f"production traffic: blue {weights.blue}% / green {weights.green}%"


def _status_line(snapshot: Snapshot) -> str:
    line = f"deployment {snapshot.deployment_id} {snapshot.status.value}"
    return f"{line}: {snapshot.message}" if snapshot.message else line


def _step_events(before: Snapshot, after: Snapshot) -> list[Event]:
    events = []
    for name, step in after.steps.items():
        old = before.steps.get(name)
        if step.status is StepStatus.PENDING or (old and old.status is step.status):
            continue
        line = f"{name.value} {step.status.value}"
        if step.detail:
            line = f"{line}: {step.detail}"
        events.append(
            _event(
                after,
                EventKind.LIFECYCLE,
                line,
                lifecycle_event=name,
                step_status=step.status,
                details={"diagnostics": step.detail},
            )
        )
    return events


def _event(
    snapshot: Snapshot,
    kind: EventKind,
    message: str,
    *,
    lifecycle_event: LifecycleEvent | None = None,
    step_status: StepStatus | None = None,
    weights: Weights | None = None,
    details: Mapping[str, str] | None = None,
) -> Event:
    return Event(
        time=time.time(),
        deployment_id=snapshot.deployment_id,
        kind=kind,
        status=snapshot.status,
        message=message,
        lifecycle_event=lifecycle_event,
        step_status=step_status,
        weights=weights,
        details={k: v for k, v in (details or {}).items() if v},
    )


def note(
    deployment_id: str, status: Status, kind: EventKind, message: str, **details: str
) -> Event:
    """An event that no poll produced: the gate's verdict, a waiting notice."""
    return _event(Snapshot(deployment_id, status), kind, message, details=details)


def split(green_share: float) -> Weights:
    """Weights from green's percentage, clamped to 0-100 and rounded."""
    share = max(0, min(100, round(green_share)))
    return Weights(blue=100 - share, green=share)


def undoing_weights(rollback: Snapshot, stopped: Snapshot) -> Weights | None:
    """A rollback deployment's split told from the side of the deployment it undoes.

    CodeDeploy's documentation says a rollback reroutes traffic from the
    replacement task set to the original one, not which of them the rollback
    labels Green. The stopped deployment's Green set is found by its
    identifier instead (gone means no traffic); only when that deployment
    never had a task set to name are the rollback's labels read the other way."""
    if stopped.green_set and rollback.shares:
        return split(rollback.shares.get(stopped.green_set, 0.0))
    if rollback.weights is None:
        return None
    return Weights(blue=rollback.weights.green, green=rollback.weights.blue)
