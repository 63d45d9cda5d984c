"""What GetDeployment and BatchGetDeploymentTargets say about a deployment, read
from the engine's state and log (botocore's `DeploymentInfo` and `ECSTarget`).

Lifecycle events are the engine's, by CodeDeploy's own names; the error
codes are CodeDeploy's `ErrorCode` values
(https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_ErrorInformation.html):
a failed Install is ECS_UPDATE_ERROR, a failed hook HOOK_EXECUTION_FAILURE,
a stop MANUAL_STOP, an alarm ALARM_ACTIVE, a ready wait run out TIMEOUT.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from ..engine.events import EventKind
from ..vocabulary import HOOKABLE, LifecycleEvent, Status, StepStatus
from . import moto_state

if TYPE_CHECKING:
    from .codedeploy_api import Entry

TARGET_STATUS = {
    Status.CREATED: "Pending",
    Status.IN_PROGRESS: "InProgress",
    Status.READY: "Ready",
    Status.SUCCEEDED: "Succeeded",
    Status.FAILED: "Failed",
    Status.STOPPED: "Failed",
}
OVERVIEW_KEYS = ("Pending", "InProgress", "Succeeded", "Failed", "Skipped", "Ready")


def status_of(entry: Entry) -> str:
    if entry.run is None:
        return Status.SUCCEEDED.value  # a rollback's record: done when it is made
    return settled(entry).value


def settled(entry: Entry) -> Status:
    """The engine's status once the run has ended; InProgress before. The engine
    reaches its verdict when it asks for the original task set's termination,
    but CodeDeploy reports a deployment done only once that task set is gone
    (and the service runs the new task definition)."""
    assert entry.run is not None
    status = entry.run.engine.status
    return status if entry.ended is not None or not status.terminal else Status.IN_PROGRESS


def deployment_info(entry: Entry) -> dict[str, Any]:
    request = entry.request
    info: dict[str, Any] = {
        "applicationName": entry.application,
        "deploymentGroupName": entry.group,
        "deploymentConfigName": entry.config_name,
        "deploymentId": entry.deployment_id,
        "revision": request["revision"],
        "status": status_of(entry),
        "createTime": entry.created,
        "startTime": entry.created,
        "creator": entry.creator,
        "computePlatform": "ECS",
        "deploymentStyle": {
            "deploymentType": "BLUE_GREEN",
            "deploymentOption": "WITH_TRAFFIC_CONTROL",
        },
        "deploymentOverview": _overview(entry),
    }
    if request.get("description"):
        info["description"] = request["description"]
    if entry.ended is not None:
        info["completeTime"] = entry.ended
    if entry.rollback_info:
        info["rollbackInfo"] = dict(entry.rollback_info)
    error = _error(entry)
    if error:
        info["errorInformation"] = error
    return info


def _overview(entry: Entry) -> dict[str, int]:
    counts = dict.fromkeys(OVERVIEW_KEYS, 0)
    counts[_target_status(entry)] += 1
    return counts


def _target_status(entry: Entry) -> str:
    if entry.run is None:
        return "Succeeded"
    return TARGET_STATUS[settled(entry)]


def _error(entry: Entry) -> dict[str, str] | None:
    if entry.run is None or settled(entry) not in (Status.FAILED, Status.STOPPED):
        return None
    ending = [e for e in entry.run.engine.events if e.kind is EventKind.STATUS]
    details = ending[-1].details if ending else {}
    code = str(details.get("code", "INTERNAL_ERROR"))
    if code == "DEPLOYMENT_FAILURE":
        failed_at = details.get("event")
        hooked = {e.value for e in HOOKABLE}
        code = "HOOK_EXECUTION_FAILURE" if failed_at in hooked else "ECS_UPDATE_ERROR"
    return {"code": code, "message": entry.run.engine.reason or ending[-1].message}


def target_id(entry: Entry) -> str:
    """CodeDeploy names an ECS target `cluster:service`."""
    source = entry.undid or entry
    assert source.run is not None
    _, _, path = source.run.wiring.service_arn.partition(":service/")
    cluster, _, service = path.partition("/")
    return f"{cluster}:{service}"


def deployment_target(entry: Entry) -> dict[str, Any]:
    source = entry.undid or entry
    assert source.run is not None
    run = source.run
    ecs_target = {
        "deploymentId": entry.deployment_id,
        "targetId": target_id(entry),
        "targetArn": run.wiring.service_arn,
        "lastUpdatedAt": entry.ended or entry.created,
        "lifecycleEvents": _lifecycle_events(entry),
        "status": _target_status(entry),
        "taskSetsInfo": _task_sets(source),
    }
    return {"deploymentTargetType": "ECSTarget", "ecsTarget": ecs_target}


def _lifecycle_events(entry: Entry) -> list[dict[str, Any]]:
    if entry.run is None:
        names = (LifecycleEvent.ALLOW_TRAFFIC,)  # a rollback reroutes traffic, nothing else
        return [{"lifecycleEventName": n.value, "status": "Succeeded"} for n in names]
    found: dict[LifecycleEvent, dict[str, Any]] = {
        event: {"lifecycleEventName": event.value, "status": StepStatus.PENDING.value}
        for event in LifecycleEvent
    }
    for event in entry.run.engine.events:
        if event.kind is not EventKind.LIFECYCLE or event.lifecycle_event is None:
            continue
        step = found[event.lifecycle_event]
        step["status"] = event.step_status.value if event.step_status else step["status"]
        step.setdefault("startTime", _clock_time(entry, event.time))
        if event.step_status is not StepStatus.IN_PROGRESS:
            step["endTime"] = _clock_time(entry, event.time)
    return list(found.values())


def _clock_time(entry: Entry, loop_time: float) -> Any:
    """An engine time (the loop's clock) as the wall-clock time CodeDeploy reports."""
    assert entry.run is not None
    return entry.created + timedelta(seconds=loop_time - entry.run.started_at)


def _task_sets(entry: Entry) -> list[dict[str, Any]]:
    run = entry.run
    assert run is not None
    w = run.wiring
    succeeded = run.engine.status is Status.SUCCEEDED
    sets = [
        (
            "Blue",
            run.blue_key,
            w.blue_group,
            run.weights.blue,
            "ACTIVE" if succeeded else "PRIMARY",
        ),
        (
            "Green",
            run.green_key,
            w.green_group,
            run.weights.green,
            "PRIMARY" if succeeded else "ACTIVE",
        ),
    ]
    infos = []
    for label, key, group, weight, status in sets:
        running = run.world.ecs.sets.get(key) if key else None
        infos.append(
            {
                "identifer": (key or "none").rpartition("/")[2],
                "desiredCount": running.tasks.count if running else 0,
                "pendingCount": 0,
                "runningCount": len(running.tasks.tasks) if running else 0,
                "status": status,
                "trafficWeight": float(weight),
                "targetGroup": {"name": moto_state.group_name(w.region, group)},
                "taskSetLabel": label,
            }
        )
    return infos
