"""Reading ECS's answers: a ServiceDeployment as a Snapshot and a summary.

ECS names stages, CodeDeploy names lifecycle events; they line up almost
one to one (PRE_SCALE_UP is BeforeInstall, SCALE_UP is Install, ...), so the
stream reads the same on both platforms. BeforeAllowTraffic has no stage of
its own: PRE_PRODUCTION_TRAFFIC_SHIFT is only where hooks attach, and ECS
reports PRODUCTION_TRAFFIC_SHIFT while they run. So within that stage,
BeforeAllowTraffic is in progress until production traffic first moves,
and AllowTraffic after that. Stages are compared by position,
never by equality: a short stage such as PRODUCTION_TRAFFIC_SHIFT can come
and go between two polls, and everything before the current stage is done.
A PAUSE hook waiting for action is our Ready.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..engine.events import Weights
from ..platform import DeploymentSummary
from ..vocabulary import LifecycleEvent, Status, StepStatus
from .progress import Snapshot, Step, split

# ServiceDeploymentLifecycleStage, in order, with the lifecycle events each covers.
STAGES: tuple[tuple[str, tuple[LifecycleEvent, ...]], ...] = (
    ("RECONCILE_SERVICE", ()),
    ("PRE_SCALE_UP", (LifecycleEvent.BEFORE_INSTALL,)),
    ("SCALE_UP", (LifecycleEvent.INSTALL,)),
    ("POST_SCALE_UP", (LifecycleEvent.AFTER_INSTALL,)),
    ("TEST_TRAFFIC_SHIFT", (LifecycleEvent.ALLOW_TEST_TRAFFIC,)),
    ("POST_TEST_TRAFFIC_SHIFT", (LifecycleEvent.AFTER_ALLOW_TEST_TRAFFIC,)),
    (
        "PRODUCTION_TRAFFIC_SHIFT",
        (LifecycleEvent.BEFORE_ALLOW_TRAFFIC, LifecycleEvent.ALLOW_TRAFFIC),
    ),
    ("POST_PRODUCTION_TRAFFIC_SHIFT", (LifecycleEvent.AFTER_ALLOW_TRAFFIC,)),
    ("BAKE_TIME", ()),
    ("CLEAN_UP", ()),
)
POSITION = {name: index for index, (name, _) in enumerate(STAGES)}

STATUSES = {
    "PENDING": Status.CREATED,
    "IN_PROGRESS": Status.IN_PROGRESS,
    "STOP_REQUESTED": Status.IN_PROGRESS,
    "ROLLBACK_REQUESTED": Status.IN_PROGRESS,
    "ROLLBACK_IN_PROGRESS": Status.IN_PROGRESS,
    "SUCCESSFUL": Status.SUCCEEDED,
    "STOPPED": Status.STOPPED,
    "ROLLBACK_SUCCESSFUL": Status.STOPPED,
    "ROLLBACK_FAILED": Status.FAILED,
}
ROLLING_BACK = frozenset({"ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS"})
ACTIVE = ("PENDING", "IN_PROGRESS", "STOP_REQUESTED", "ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS")


def snapshot(deployment: Mapping[str, Any]) -> Snapshot:
    raw = str(deployment.get("status"))
    status = STATUSES.get(raw, Status.IN_PROGRESS)
    waiting = awaiting_hook(deployment)
    if status is Status.IN_PROGRESS and waiting:
        status = Status.READY
    rolled = raw in ROLLING_BACK or raw.startswith("ROLLBACK")
    return Snapshot(
        deployment_id=str(deployment["serviceDeploymentArn"]),
        status=status,
        steps={} if rolled else steps(deployment, raw),
        weights=weights(deployment.get("targetServiceRevision") or {}),
        task_sets=revision_lines(deployment),
        message="; ".join(
            filter(None, [deployment.get("statusReason"), *failed_hooks(deployment)])
        ),
        rolling_back=raw in ROLLING_BACK,
        gate_token=waiting,
    )


def awaiting_hook(deployment: Mapping[str, Any]) -> str | None:
    for hook in deployment.get("lifecycleHookDetails") or []:
        if hook.get("status") == "AWAITING_ACTION":
            return str(hook["hookId"])
    return None


def failed_hooks(deployment: Mapping[str, Any]) -> list[str]:
    """Lambda hooks that answered FAILED or ran out of time: why ECS rolls back."""
    return [
        f"lifecycle hook {hook.get('targetArn') or hook.get('hookId')} {hook['status']}"
        for hook in deployment.get("lifecycleHookDetails") or []
        if hook.get("status") in ("FAILED", "TIMED_OUT")
    ]


def steps(deployment: Mapping[str, Any], raw: str) -> dict[LifecycleEvent, Step]:
    """Before the current stage: Succeeded; the current one: InProgress (or its end)."""
    if raw == "SUCCESSFUL":
        return {event: Step(StepStatus.SUCCEEDED) for _, events in STAGES for event in events}
    current = POSITION.get(str(deployment.get("lifecycleStage")), -1)
    found = {}
    for index, (_, events) in enumerate(STAGES[: current + 1]):
        done = events if index < current else events[: _done_in_stage(deployment, events)]
        found.update({event: Step(StepStatus.SUCCEEDED) for event in done})
        if index == current and len(done) < len(events):
            found[events[len(done)]] = _current_step(deployment, raw)
    return found


def _done_in_stage(deployment: Mapping[str, Any], events: tuple[LifecycleEvent, ...]) -> int:
    """How many of the current stage's events are over: BeforeAllowTraffic is,
    once production traffic has started to move."""
    if events and events[0] is LifecycleEvent.BEFORE_ALLOW_TRAFFIC:
        shifted = weights(deployment.get("targetServiceRevision") or {})
        return 1 if shifted is not None and shifted.green > 0 else 0
    return 0


def _current_step(deployment: Mapping[str, Any], raw: str) -> Step:
    if raw in ("STOPPED", "ROLLBACK_FAILED"):
        return Step(StepStatus.FAILED, str(deployment.get("statusReason") or ""))
    return Step(StepStatus.IN_PROGRESS)


def weights(target: Mapping[str, Any]) -> Weights | None:
    share = target.get("requestedProductionTrafficWeight")
    if share is None:
        return None
    return split(float(share))


def revision_lines(deployment: Mapping[str, Any]) -> tuple[str, ...]:
    target = deployment.get("targetServiceRevision") or {}
    lines = [_revision_line("green", target)] if target else []
    lines += [_revision_line("blue", r) for r in deployment.get("sourceServiceRevisions") or []]
    return tuple(lines)


def _revision_line(label: str, revision: Mapping[str, Any]) -> str:
    name = str(revision.get("arn", "?")).rpartition("/")[2]
    return (
        f"{label} revision {name}: {revision.get('runningTaskCount', 0)}/"
        f"{revision.get('requestedTaskCount', 0)} running"
    )


def summary(deployment: Mapping[str, Any], platform: str, revision: str = "") -> DeploymentSummary:
    current = snapshot(deployment)
    rollback = deployment.get("rollback") or {}
    return DeploymentSummary(
        deployment_id=current.deployment_id,
        status=current.status,
        revision=revision or target_revision(deployment).rpartition("/")[2],
        platform=platform,
        created=_seconds(deployment.get("createdAt")) or 0.0,
        ended=_seconds(deployment.get("finishedAt") or deployment.get("stoppedAt")),
        weights=current.weights,
        message=current.message or str(rollback.get("reason") or ""),
        details={"ecs_status": deployment.get("status", "")},
    )


def target_revision(deployment: Mapping[str, Any]) -> str:
    return str((deployment.get("targetServiceRevision") or {}).get("arn", ""))


def _seconds(value: Any) -> float | None:
    return value.timestamp() if isinstance(value, datetime) else None
