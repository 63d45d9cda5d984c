"""What DescribeServiceDeployments, ListServiceDeployments and DescribeServiceRevisions
say, read from the engine's state (botocore's `ServiceDeployment`, `ServiceRevision`).

The status follows ECS's
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-deployment.html):
PENDING until the engine starts, IN_PROGRESS (also while blue's tasks stop
in CLEAN_UP), STOP_REQUESTED / ROLLBACK_REQUESTED from StopServiceDeployment
until the engine takes it, ROLLBACK_IN_PROGRESS while traffic goes back and
green's tasks stop, then SUCCESSFUL, ROLLBACK_SUCCESSFUL (every failure and
every ROLLBACK stop: ECS rolls back on its own) or STOPPED (an ABORT stop).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..engine.transitions import Phase
from ..vocabulary import Status
from .ecs_run import HookExecution, NativeRun


@dataclass(frozen=True)
class Revision:
    """One service revision: what a service ran (or runs) at one time."""

    arn: str
    service_arn: str
    cluster_arn: str
    taskdef_arn: str
    created: datetime
    load_balancers: tuple[Mapping[str, Any], ...] = ()


@dataclass
class ServiceDeployment:
    arn: str
    cluster_arn: str
    created: datetime
    configuration: Mapping[str, Any]
    target: Revision
    source: Revision
    run: NativeRun
    requested: str | None = None
    """StopServiceDeployment's stopType (or ROLLBACK from a PAUSE hook), once asked."""
    ended: datetime | None = None
    rollback_started: datetime | None = None
    started: datetime | None = None


def status_of(entry: ServiceDeployment) -> str:
    engine = entry.run.engine
    if engine.phase is Phase.CREATED:
        return "PENDING"
    if not engine.status.terminal:
        return {"ROLLBACK": "ROLLBACK_REQUESTED", "ABORT": "STOP_REQUESTED"}.get(
            entry.requested or "", "IN_PROGRESS"
        )
    rolled_back = rolls_back(entry)
    if entry.ended is None:
        return "ROLLBACK_IN_PROGRESS" if rolled_back else "IN_PROGRESS"
    if engine.status is Status.SUCCEEDED:
        return "SUCCESSFUL"
    return "ROLLBACK_SUCCESSFUL" if rolled_back else "STOPPED"


def rolls_back(entry: ServiceDeployment) -> bool:
    """Whether the deployment ended going back to its source revision: ECS rolls back
    every one that fails or is stopped, unless StopServiceDeployment said ABORT
    (even one that failed before green started: then there is nothing to undo)."""
    engine = entry.run.engine
    ended_early = engine.status.terminal and engine.status is not Status.SUCCEEDED
    return ended_early and entry.requested != "ABORT"


def deployment(entry: ServiceDeployment) -> dict[str, Any]:
    run = entry.run
    found: dict[str, Any] = {
        "serviceDeploymentArn": entry.arn,
        "serviceArn": entry.target.service_arn,
        "clusterArn": entry.cluster_arn,
        "createdAt": entry.created,
        "status": status_of(entry),
        "lifecycleStage": run.stage,
        "deploymentConfiguration": dict(entry.configuration),
        "targetServiceRevision": {
            **_counts(entry.target, len(run.green.tasks.tasks) if run.green else 0, run),
            "requestedTestTrafficWeight": float(run.engine.test_weights.green),
            "requestedProductionTrafficWeight": float(run.engine.weights.green),
        },
        "sourceServiceRevisions": [_counts(entry.source, _blue_running(run), run)],
    }
    if entry.started is not None:
        found["startedAt"] = entry.started
    if entry.ended is not None:
        key = "finishedAt" if found["status"] == "SUCCESSFUL" else "stoppedAt"
        found[key] = entry.ended
    if run.engine.status.terminal and run.engine.status is not Status.SUCCEEDED:
        found["statusReason"] = run.engine.reason
    if rolls_back(entry):
        found["rollback"] = {
            "reason": run.engine.reason,
            "startedAt": entry.rollback_started or entry.created,
            "serviceRevisionArn": entry.source.arn,
        }
    if run.executions:
        found["lifecycleHookDetails"] = [_hook(e) for e in run.executions]
    return found


def brief(entry: ServiceDeployment) -> dict[str, Any]:
    full = deployment(entry)
    keys = ("serviceDeploymentArn", "serviceArn", "clusterArn", "createdAt", "startedAt")
    found = {key: full[key] for key in keys if key in full}
    found.update(status=full["status"], targetServiceRevisionArn=entry.target.arn)
    if "finishedAt" in full:
        found["finishedAt"] = full["finishedAt"]
    if "statusReason" in full:
        found["statusReason"] = full["statusReason"]
    return found


def revision(found: Revision) -> dict[str, Any]:
    return {
        "serviceRevisionArn": found.arn,
        "serviceArn": found.service_arn,
        "clusterArn": found.cluster_arn,
        "taskDefinition": found.taskdef_arn,
        "launchType": "FARGATE",
        "loadBalancers": [dict(lb) for lb in found.load_balancers],
        "createdAt": found.created,
    }


def _counts(found: Revision, running: int, run: NativeRun) -> dict[str, Any]:
    requested = run.engine.settings.desired_count
    return {
        "arn": found.arn,
        "requestedTaskCount": requested,
        "runningTaskCount": running,
        "pendingTaskCount": max(0, requested - running),
    }


def _blue_running(run: NativeRun) -> int:
    blue = run.world.ecs.sets.get(run.blue_key or "")
    return len(blue.tasks.tasks) if blue is not None else 0


def _hook(execution: HookExecution) -> dict[str, Any]:
    found = {
        "hookId": execution.hook_id,
        "targetType": execution.hook.target_type,
        "status": execution.status,
        "expiresAt": execution.expires_at,
        "timeoutAction": execution.hook.timeout_action,
    }
    if execution.hook.target_arn:
        found["targetArn"] = execution.hook.target_arn
    return found
