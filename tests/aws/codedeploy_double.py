"""CodeDeploy as it progresses: scripted deployments over moto's stored ones.

Only for what the emulator can't show (tests/emulator runs real
deployments): throttling and other API errors injected on purpose, and
the platform's reading of frames no emulator produces on demand.

A scenario is the frames one deployment shows to successive GetDeployment
calls (status, lifecycle events with diagnostics, task sets with traffic
weights), in the shapes of the botocore model. A frame marked `roll_back`
makes the double start a rollback deployment (a real one, created in moto)
and point `rollbackInfo` at it, as CodeDeploy does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3

from bluegreen.vocabulary import TERMINAL, LifecycleEvent

from .doubles import ApiError, BotocoreDouble, Script, now

EVENTS = tuple(str(e) for e in LifecycleEvent)
TARGET_ID = "prod:web"


def frame(status: str, done: int, green: float | None = None, **extra: Any) -> dict[str, Any]:
    return {"status": status, "done": done, "green": green, **extra}


def success_after_ready() -> list[dict[str, Any]]:
    return [
        frame("InProgress", 6, 10.0, current="AllowTraffic"),
        frame("InProgress", 7, 100.0, current="AfterAllowTraffic"),
        frame("Succeeded", 8, 100.0),
    ]


def gated() -> Script:
    """Through the test listener into Ready; continue reroutes, stop rolls back."""
    frames = [
        frame("Created", 0),
        frame("InProgress", 0, current="BeforeInstall"),
        frame("InProgress", 1, 0.0, current="Install"),
        frame("InProgress", 5, 0.0, current="BeforeAllowTraffic"),
        frame("Ready", 5, 0.0),
    ]
    return Script(frames, pause=len(frames) - 1)


def no_gate() -> Script:
    return Script([frame("Created", 0), frame("InProgress", 1, 0.0), *success_after_ready()])


def rollback() -> Script:
    """Its replacement is the original (blue) task set, which serves production."""
    return Script(
        [frame("InProgress", 6, 100.0, current="AllowTraffic"), frame("Succeeded", 8, 100.0)]
    )


class CodeDeployDouble(BotocoreDouble):
    def __init__(self) -> None:
        super().__init__("codedeploy")
        self.plan: list[Callable[[], Script]] = []
        self.scripts: dict[str, Script] = {}
        self.configs: dict[str, dict[str, Any]] = {}
        self.handlers.update(
            CreateDeploymentConfig=self._create_config,
            GetDeploymentConfig=self._get_config,
            CreateDeployment=self._create,
            ListDeploymentTargets=self._list_targets,
            BatchGetDeploymentTargets=self._batch_targets,
            ContinueDeployment=self._continue,
            StopDeployment=self._stop,
        )

    def attach(self, session: boto3.session.Session) -> None:
        super().attach(session)
        session.events.register("after-call.codedeploy.CreateDeployment", self._created)
        session.events.register("after-call.codedeploy.GetDeployment", self._get)
        session.events.register("after-call.codedeploy.BatchGetDeployments", self._batch_get)

    def _create_config(self, params: dict[str, Any]) -> dict[str, Any]:
        """Deployment configs, which moto lacks: made once, never changed."""
        name = params["deploymentConfigName"]
        if name in self.configs or name.startswith("CodeDeployDefault."):
            raise ApiError("DeploymentConfigAlreadyExistsException", f"{name} already exists")
        config_id = f"{len(self.configs):08d}-0000-4000-8000-000000000000"
        self.configs[name] = {
            "deploymentConfigId": config_id,
            "deploymentConfigName": name,
            "createTime": now(),
            **{k: v for k, v in params.items() if k != "deploymentConfigName"},
        }
        return {"deploymentConfigId": config_id}

    def _get_config(self, params: dict[str, Any]) -> dict[str, Any]:
        name = params["deploymentConfigName"]
        if name not in self.configs:
            raise ApiError("DeploymentConfigDoesNotExistException", f"No config {name}")
        return {"deploymentConfigInfo": self.configs[name]}

    def _create(self, params: dict[str, Any]) -> None:
        for deployment_id, script in self.scripts.items():
            if script.frame["status"] not in TERMINAL:
                group = params["deploymentGroupName"]
                message = (
                    f"The Deployment Group '{group}' already has an active "
                    f"Deployment '{deployment_id}'"
                )
                raise ApiError("DeploymentLimitExceededException", message)
        return None

    def _created(self, parsed: dict[str, Any], **_: Any) -> None:
        if "deploymentId" not in parsed:
            return
        script = self.plan.pop(0)() if self.plan else gated()
        self.scripts[parsed["deploymentId"]] = script

    def _get(self, parsed: dict[str, Any], **_: Any) -> None:
        info = parsed["deploymentInfo"]
        script = self.scripts.get(info["deploymentId"])
        if script is None:
            return
        script.advance()
        self._overlay(info, script)

    def _batch_get(self, parsed: dict[str, Any], **_: Any) -> None:
        for info in parsed.get("deploymentsInfo", []):
            if info["deploymentId"] in self.scripts:
                self._overlay(info, self.scripts[info["deploymentId"]])

    def _overlay(self, info: dict[str, Any], script: Script) -> None:
        current = script.frame
        if current.get("roll_back") == 1:
            current["roll_back"] = self._start_rollback(info)
        info["status"] = current["status"]
        if current.get("error"):
            info["errorInformation"] = current["error"]
        if isinstance(current.get("roll_back"), str):
            info["rollbackInfo"] = {"rollbackDeploymentId": current["roll_back"]}
        if current.get("rollback_of"):
            info["creator"] = "codeDeployRollback"
            info["rollbackInfo"] = {"rollbackTriggeringDeploymentId": current["rollback_of"]}
        shape = self.model("GetDeployment").output_shape.members["deploymentInfo"]
        self.check("GetDeployment", info, shape, "overlay")

    def _start_rollback(self, info: dict[str, Any]) -> str:
        """A new deployment in moto, as CodeDeploy creates one for a rollback."""
        client = boto3.session.Session().client("codedeploy")
        created = client.create_deployment(
            applicationName=info["applicationName"],
            deploymentGroupName=info["deploymentGroupName"],
            revision=info["revision"],
        )
        script = rollback()
        for step in script.frames:
            step["rollback_of"] = info["deploymentId"]
        self.scripts[created["deploymentId"]] = script
        return str(created["deploymentId"])

    def _list_targets(self, params: dict[str, Any]) -> dict[str, Any]:
        script = self.scripts.get(params["deploymentId"])  # None: made in moto, not by us
        started = script is not None and script.frame["status"] != "Created"
        return {"targetIds": [TARGET_ID] if started else []}

    def _batch_targets(self, params: dict[str, Any]) -> dict[str, Any]:
        deployment_id = params["deploymentId"]
        target = ecs_target(deployment_id, self.scripts[deployment_id].frame)
        return {"deploymentTargets": [{"deploymentTargetType": "ECSTarget", "ecsTarget": target}]}

    def _continue(self, params: dict[str, Any]) -> dict[str, Any]:
        script = self.scripts[params["deploymentId"]]
        if not script.paused or params["deploymentWaitType"] != "READY_WAIT":
            raise ApiError("DeploymentIsNotInReadyStateException", "not waiting in Ready")
        script.branch(success_after_ready())
        return {}

    def _stop(self, params: dict[str, Any]) -> dict[str, Any]:
        script = self.scripts[params["deploymentId"]]
        if script.frame["status"] in TERMINAL:
            raise ApiError("DeploymentAlreadyCompletedException", "already completed")
        stopped = frame("Stopped", script.frame["done"], 0.0)
        stopped["error"] = {"code": "MANUAL_STOP", "message": "The deployment was stopped"}
        if params.get("autoRollbackEnabled"):
            stopped["roll_back"] = 1
        script.branch([stopped])
        return {"status": "Pending", "statusMessage": "Stopping deployment"}


def ecs_target(deployment_id: str, current: dict[str, Any]) -> dict[str, Any]:
    return {
        "deploymentId": deployment_id,
        "targetId": TARGET_ID,
        "targetArn": "arn:aws:ecs:us-east-1:123456789012:service/prod/web",
        "lastUpdatedAt": now(),
        "status": current["status"],
        "lifecycleEvents": lifecycle_events(current),
        "taskSetsInfo": task_sets(current["green"]),
    }


def lifecycle_events(current: dict[str, Any]) -> list[dict[str, Any]]:
    events = []
    for index, name in enumerate(EVENTS):
        event: dict[str, Any] = {"lifecycleEventName": name, "status": "Pending"}
        if name in current.get("skipped", ()):
            event.update(status="Skipped")
        elif index < current["done"]:
            event.update(status="Succeeded", startTime=now(), endTime=now())
        elif name == current.get("current"):
            failed = current.get("failed")
            event.update(status="Failed" if failed else "InProgress", startTime=now())
            if failed:
                event["diagnostics"] = failed
        events.append(event)
    return events


def task_sets(green: float | None) -> list[dict[str, Any]]:
    if green is None:
        return []
    return [
        _task_set("ecs-svc/1111", "Blue", "PRIMARY" if green < 100 else "ACTIVE", 100.0 - green),
        _task_set("ecs-svc/2222", "Green", "PRIMARY" if green >= 100 else "ACTIVE", green),
    ]


def _task_set(identifier: str, label: str, status: str, weight: float) -> dict[str, Any]:
    return {
        "identifer": identifier,
        "desiredCount": 2,
        "pendingCount": 0,
        "runningCount": 2,
        "status": status,
        "trafficWeight": weight,
        "targetGroup": {"name": f"web-{label.lower()}"},
        "taskSetLabel": label,
    }
