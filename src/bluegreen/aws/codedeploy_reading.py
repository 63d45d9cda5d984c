"""Reading CodeDeploy's answers: GetDeployment and the ECS deployment target.

Pure functions from the API's shapes (botocore 1.44 model) to a
`Snapshot` and a `DeploymentSummary`, so they are tested without AWS.
Lifecycle event names are CodeDeploy's and ours alike; Start and End
cannot be hooked and carry nothing a user acts on, so they are dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import yaml

from ..engine.events import Weights
from ..platform import DeploymentSummary
from ..vocabulary import LifecycleEvent, Status, StepStatus
from .progress import Snapshot, Step, split

STATUSES = {
    "Created": Status.CREATED,
    "Queued": Status.CREATED,
    "InProgress": Status.IN_PROGRESS,
    "Baking": Status.IN_PROGRESS,
    "Ready": Status.READY,
    "Succeeded": Status.SUCCEEDED,
    "Failed": Status.FAILED,
    "Stopped": Status.STOPPED,
}

STEP_STATUSES = {s.value: s for s in StepStatus}
EVENT_NAMES = {e.value: e for e in LifecycleEvent}


def deployment_status(info: Mapping[str, Any]) -> Status:
    return STATUSES.get(str(info.get("status")), Status.IN_PROGRESS)


def error_text(info: Mapping[str, Any]) -> str:
    error = info.get("errorInformation") or {}
    if not error:
        return ""
    return f"{error.get('code', 'ERROR')}: {error.get('message', '')}".strip()


def snapshot(info: Mapping[str, Any], target: Mapping[str, Any] | None) -> Snapshot:
    """One poll: the deployment and (when CodeDeploy has one yet) its ECS target."""
    rollback = info.get("rollbackInfo") or {}
    ecs = target or {}
    task_sets = ecs.get("taskSetsInfo", [])
    return Snapshot(
        deployment_id=str(info["deploymentId"]),
        status=deployment_status(info),
        steps=steps(ecs.get("lifecycleEvents", [])),
        weights=weights(task_sets),
        task_sets=tuple(task_set_line(t) for t in task_sets),
        message=error_text(info),
        rollback_id=rollback.get("rollbackDeploymentId"),
        shares={str(t.get("identifer")): float(t.get("trafficWeight", 0.0)) for t in task_sets},
        green_set=next((str(t.get("identifer")) for t in task_sets if _green(t)), ""),
    )


def steps(events: list[Mapping[str, Any]]) -> dict[LifecycleEvent, Step]:
    found = {}
    for event in events:
        name = EVENT_NAMES.get(str(event.get("lifecycleEventName")))
        status = STEP_STATUSES.get(str(event.get("status")))
        if name is not None and status is not None:
            found[name] = Step(status, diagnostics_text(event.get("diagnostics") or {}))
    return found


def diagnostics_text(diagnostics: Mapping[str, Any]) -> str:
    """errorCode, message, the hook's name and its log tail, as one line."""
    if not diagnostics:
        return ""
    parts = [str(diagnostics.get("errorCode", "")), str(diagnostics.get("message", ""))]
    if diagnostics.get("scriptName"):
        parts.append(f"(hook {diagnostics['scriptName']})")
    if diagnostics.get("logTail"):
        parts.append(f"log: {str(diagnostics['logTail']).strip()}")
    return " ".join(p for p in parts if p)


def weights(task_sets: list[Mapping[str, Any]]) -> Weights | None:
    """Production split from the Green set's trafficWeight (a percentage, a double)."""
    green = [t for t in task_sets if _green(t)]
    if not green:
        return None
    return split(float(green[0].get("trafficWeight", 0.0)))


def _green(task_set: Mapping[str, Any]) -> bool:
    return task_set.get("taskSetLabel") == "Green"


def task_set_line(task_set: Mapping[str, Any]) -> str:
    # botocore's field really is spelled "identifer".
    return (
        f"{task_set.get('taskSetLabel', '?')} task set {task_set.get('identifer', '?')} "
        f"{task_set.get('status', '?')}: {task_set.get('runningCount', 0)}/"
        f"{task_set.get('desiredCount', 0)} running"
    )


def summary(
    info: Mapping[str, Any], platform: str, current: Weights | None = None
) -> DeploymentSummary:
    rollback = info.get("rollbackInfo") or {}
    return DeploymentSummary(
        deployment_id=str(info["deploymentId"]),
        status=deployment_status(info),
        revision=task_definition_of(info),
        platform=platform,
        created=_seconds(info.get("createTime")) or 0.0,
        ended=_seconds(info.get("completeTime")),
        weights=current,
        message=error_text(info) or str(info.get("description") or ""),
        rollback_of=rollback.get("rollbackTriggeringDeploymentId"),
        details={"creator": info.get("creator", "")},
    )


def task_definition_of(info: Mapping[str, Any]) -> str:
    """`family:N` from the AppSpec the deployment carried, or "" if unreadable."""
    revision = info.get("revision") or {}
    content = (revision.get("appSpecContent") or {}).get("content", "")
    try:
        document = yaml.safe_load(content) or {}
        arn = document["Resources"][0]["TargetService"]["Properties"]["TaskDefinition"]
    except (yaml.YAMLError, KeyError, IndexError, TypeError):
        return ""
    return str(arn).rpartition("task-definition/")[2]


def _seconds(value: Any) -> float | None:
    return value.timestamp() if isinstance(value, datetime) else None
