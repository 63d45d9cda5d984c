"""ECS service deployments as they progress, for the calls moto lacks.

moto runs UpdateService (as a rolling update, dropping the strategy and
the whole deploymentConfiguration); the double keeps that configuration and
shows it in DescribeServices, as ECS does. An UpdateService with a task
definition starts a scripted service deployment,
answered through List/DescribeServiceDeployments, ContinueServiceDeployment
and StopServiceDeployment in the botocore model's shapes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3

from .doubles import ApiError, BotocoreDouble, Script, now

ARN = "arn:aws:ecs:us-east-1:123456789012"
HOOK_ID = "hook-0123456789abcdef"
FINAL = ("SUCCESSFUL", "STOPPED", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED")


def stage(status: str, name: str | None, prod: float = 0.0, **extra: Any) -> dict[str, Any]:
    return {"status": status, "lifecycleStage": name, "prod": prod, **extra}


def after_pause() -> list[dict[str, Any]]:
    return [
        stage("IN_PROGRESS", "PRODUCTION_TRAFFIC_SHIFT", 100.0),
        stage("IN_PROGRESS", "BAKE_TIME", 100.0),
        stage("SUCCESSFUL", "CLEAN_UP", 100.0),
    ]


def rolled_back(reason: str) -> list[dict[str, Any]]:
    return [
        stage("ROLLBACK_IN_PROGRESS", "PRODUCTION_TRAFFIC_SHIFT", reason=reason),
        stage("ROLLBACK_SUCCESSFUL", "CLEAN_UP", reason=reason),
    ]


def paused() -> Script:
    frames = [
        stage("PENDING", None),
        stage("IN_PROGRESS", "SCALE_UP"),
        stage("IN_PROGRESS", "TEST_TRAFFIC_SHIFT"),
        stage("IN_PROGRESS", "POST_TEST_TRAFFIC_SHIFT", hook="AWAITING_ACTION"),
    ]
    return Script(frames, pause=len(frames) - 1)


class EcsDouble(BotocoreDouble):
    def __init__(self) -> None:
        super().__init__("ecs")
        self.plan: list[Callable[[], Script]] = []
        self.scripts: dict[str, Script] = {}
        self.revisions: dict[str, str] = {}
        self.deployment_configuration: dict[str, Any] = {}
        self.handlers.update(
            DescribeServiceRevisions=self._revisions,
            ListServiceDeployments=self._list,
            DescribeServiceDeployments=self._describe,
            ContinueServiceDeployment=self._continue,
            StopServiceDeployment=self._stop,
        )

    def attach(self, session: boto3.session.Session) -> None:
        super().attach(session)
        session.events.register("before-call.ecs.UpdateService", self._updating)
        session.events.register("after-call.ecs.UpdateService", self._updated)
        session.events.register("after-call.ecs.DescribeServices", self._described)

    def _updating(self, **_: Any) -> None:
        """Remember what the service ran before: the new deployment's source revision."""
        if not self.revisions:
            services = (
                boto3.session.Session()
                .client("ecs")
                .describe_services(cluster="prod", services=["web"])["services"]
            )
            self.revisions[f"{ARN}:service-revision/prod/web/0"] = services[0]["taskDefinition"]

    def _updated(self, parsed: dict[str, Any], **_: Any) -> None:
        sent = self.called("UpdateService")[-1]
        if "service" not in parsed:
            return
        if "deploymentConfiguration" in sent:
            self.deployment_configuration = sent["deploymentConfiguration"]
        if "taskDefinition" not in sent:
            return
        arn = f"{ARN}:service-deployment/prod/web/sd{len(self.scripts):04d}"
        source = list(self.revisions)[-1]
        target = f"{ARN}:service-revision/prod/web/{len(self.revisions)}"
        self.revisions[target] = parsed["service"]["taskDefinition"]
        script = self.plan.pop(0)() if self.plan else paused()
        script.frames[0].update(created=now(), source=source, target=target)
        self.scripts[arn] = script

    def _described(self, parsed: dict[str, Any], **_: Any) -> None:
        for service in parsed.get("services", []):
            service["deploymentConfiguration"] = json.loads(
                json.dumps(self.deployment_configuration)
            )

    def _revisions(self, params: dict[str, Any]) -> dict[str, Any]:
        found = [
            {"serviceRevisionArn": arn, "taskDefinition": self.revisions[arn]}
            for arn in params["serviceRevisionArns"]
            if arn in self.revisions
        ]
        return {"serviceRevisions": found, "failures": []}

    def _list(self, params: dict[str, Any]) -> dict[str, Any]:
        wanted = set(params.get("status") or [])
        briefs = []
        for arn, script in self.scripts.items():
            status = script.frame["status"]
            if wanted and status not in wanted:
                continue
            briefs.append(
                {
                    "serviceDeploymentArn": arn,
                    "serviceArn": f"{ARN}:service/prod/web",
                    "clusterArn": f"{ARN}:cluster/prod",
                    "createdAt": script.frames[0]["created"],
                    "status": status,
                }
            )
        return {"serviceDeployments": briefs}

    def _describe(self, params: dict[str, Any]) -> dict[str, Any]:
        found = []
        for arn in params["serviceDeploymentArns"]:
            script = self.scripts.get(arn)
            if script is not None:
                script.advance()
                found.append(service_deployment(arn, script))
        return {"serviceDeployments": found, "failures": []}

    def _continue(self, params: dict[str, Any]) -> dict[str, Any]:
        arn = params["serviceDeploymentArn"]
        script = self.scripts[arn]
        if not script.paused or params.get("hookId") != HOOK_ID:
            raise ApiError("InvalidParameterException", "no lifecycle hook awaiting action")
        action = params.get("action", "CONTINUE")
        script.branch(after_pause() if action == "CONTINUE" else rolled_back("rolled back by hook"))
        return {"serviceDeploymentArn": arn}

    def _stop(self, params: dict[str, Any]) -> dict[str, Any]:
        arn = params["serviceDeploymentArn"]
        script = self.scripts[arn]
        if script.frame["status"] in FINAL:
            raise ApiError("ConflictException", "the service deployment has already finished")
        script.branch(rolled_back("stopped by request"))
        return {"serviceDeploymentArn": arn}


def hook_detail(status: str) -> dict[str, Any]:
    """Our gate's PAUSE hook (the scripts run no other)."""
    return {
        "hookId": HOOK_ID,
        "targetType": "PAUSE",
        "status": status,
        "expiresAt": now(),
        "timeoutAction": "ROLLBACK",
    }


def service_deployment(arn: str, script: Script) -> dict[str, Any]:
    current = script.frame
    deployment: dict[str, Any] = {
        "serviceDeploymentArn": arn,
        "serviceArn": f"{ARN}:service/prod/web",
        "clusterArn": f"{ARN}:cluster/prod",
        "createdAt": script.frames[0]["created"],
        "status": current["status"],
        "targetServiceRevision": {
            "arn": script.frames[0]["target"],
            "requestedTaskCount": 2,
            "runningTaskCount": 2 if current["lifecycleStage"] != "SCALE_UP" else 0,
            "pendingTaskCount": 0,
            "requestedTestTrafficWeight": current.get("test", 100.0),
            "requestedProductionTrafficWeight": current["prod"],
        },
        "sourceServiceRevisions": [
            {
                "arn": script.frames[0]["source"],
                "requestedTaskCount": 2,
                "runningTaskCount": 2,
                "pendingTaskCount": 0,
            }
        ],
    }
    if current["lifecycleStage"]:
        deployment["lifecycleStage"] = current["lifecycleStage"]
    if current.get("reason"):
        deployment["statusReason"] = current["reason"]
        deployment["rollback"] = {"reason": current["reason"], "startedAt": now()}
    if current.get("hook"):
        deployment["lifecycleHookDetails"] = [hook_detail(current["hook"])]
    return deployment
