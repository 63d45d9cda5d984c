"""`aws-ecs`: ECS's own blue/green, linear and canary deployments (2025).

UpdateService with the new task definition and a deployment strategy
starts a service deployment, which ECS drives itself. bluegreen asks for a
PAUSE hook at POST_TEST_TRAFFIC_SHIFT (green has all test traffic,
production is still on blue): that is where the follower validates through
the test listener and answers ContinueServiceDeployment CONTINUE or
ROLLBACK — the same gate as CodeDeploy's ready wait.
"""

from __future__ import annotations

import math
import time
from typing import Any

from ..errors import PlatformError, UsageError
from ..platform import DeploymentSummary, DeployRequest
from ..spec.deployment_config import DeploymentConfig, ShiftType
from ..vocabulary import ReadyAction, Status
from . import ecs_reading as reading
from .base import AwsPlatform
from .progress import Snapshot
from .session import aws_errors

DESCRIBE_BATCH = 20
MAX_HOOK_MINUTES = 20160
MAX_BAKE_MINUTES = 1440


def minutes(seconds: float, most: int = MAX_BAKE_MINUTES) -> int:
    """Whole minutes, rounded up and capped at what the API accepts."""
    return min(most, math.ceil(seconds / 60))


def ecs_strategy(shift: DeploymentConfig) -> dict[str, Any]:
    """UpdateService's strategy keys for a deployment config (minutes, rounded up)."""
    if shift.type is ShiftType.LINEAR:
        linear = {"stepPercent": float(max(3, shift.percent))}
        linear["stepBakeTimeInMinutes"] = minutes(shift.interval)
        return {"strategy": "LINEAR", "linearConfiguration": linear}
    if shift.type is ShiftType.CANARY:
        canary = {"canaryPercent": float(shift.percent)}
        canary["canaryBakeTimeInMinutes"] = minutes(shift.interval)
        return {"strategy": "CANARY", "canaryConfiguration": canary}
    return {"strategy": "BLUE_GREEN"}


class EcsPlatform(AwsPlatform):
    name = "aws-ecs"

    @property
    def where(self) -> dict[str, str]:
        return {"cluster": self.setting("cluster"), "service": self.setting("service")}

    # -- deploy ---------------------------------------------------------------

    def deploy(self, request: DeployRequest) -> str:
        self._wait_for_slot(request.wait_for_slot)
        arn = self.register_task_definition(request)
        with aws_errors("updating the service"):
            self.aws.ecs.update_service(
                **self.where,
                taskDefinition=arn,
                deploymentConfiguration=self.deployment_configuration(),
            )
            return self._started()

    def deployment_configuration(self) -> dict[str, Any]:
        """The service's current settings with our strategy, bake time and gate hook."""
        with aws_errors("reading the service"):
            services = self.aws.ecs.describe_services(
                cluster=self.where["cluster"], services=[self.where["service"]]
            )["services"]
        current = dict(services[0].get("deploymentConfiguration") or {}) if services else {}
        for key in ("strategy", "linearConfiguration", "canaryConfiguration", "lifecycleHooks"):
            current.pop(key, None)
        current.update(ecs_strategy(self.config.deployment.config))
        current["bakeTimeInMinutes"] = minutes(self.config.deployment.termination_wait)
        if self.gate is not None:
            current["lifecycleHooks"] = [self._pause_hook()]
        return current

    def _pause_hook(self) -> dict[str, Any]:
        deployment = self.config.deployment
        wait = deployment.ready_wait or (self.config.validation.deadline + 600)
        action = (
            "CONTINUE" if deployment.ready_timeout_action is ReadyAction.CONTINUE else "ROLLBACK"
        )
        return {
            "targetType": "PAUSE",
            "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"],
            "timeoutConfiguration": {
                "timeoutInMinutes": max(1, minutes(wait, MAX_HOOK_MINUTES)),
                "action": action,
            },
        }

    def _wait_for_slot(self, wait: bool) -> None:
        """One service deployment at a time: name the active one, or wait for it."""
        pause = self.polling.first
        give_up = time.monotonic() + self.polling.timeout
        while True:
            with aws_errors("listing service deployments"):
                active = self._list(list(reading.ACTIVE))
            if not active:
                return
            arn = active[0]["serviceDeploymentArn"]
            if not wait or time.monotonic() > give_up:
                raise PlatformError(
                    f"service {self.where['service']} already has an active deployment {arn}; "
                    "follow it with `bluegreen status --watch`, stop it with `bluegreen stop`, "
                    "or deploy with --wait-for-slot"
                )
            time.sleep(pause)
            pause = self.polling.next(pause, changed=False)

    def _started(self) -> str:
        """The service deployment UpdateService just started.

        None was active before it (`_wait_for_slot`), so the newest active one
        is ours; ECS may list it a moment after UpdateService returns.
        """
        for attempt in range(10):
            active = self._list(list(reading.ACTIVE), limit=1)
            if active:
                return str(active[0]["serviceDeploymentArn"])
            time.sleep(self.polling.first * (attempt + 1) / 4)
        raise PlatformError("UpdateService succeeded but ECS lists no new service deployment")

    def _list(self, statuses: list[str] | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Service deployment briefs, newest first."""
        kwargs: dict[str, Any] = {**self.where, "maxResults": min(limit, 100)}
        if statuses:
            kwargs["status"] = statuses
        briefs = list(self.aws.ecs.list_service_deployments(**kwargs)["serviceDeployments"])
        briefs.sort(key=lambda b: b.get("createdAt") or 0, reverse=True)
        return briefs

    # -- following (the follower's DeploymentControls) ---------------------------------

    def snapshot(self, deployment_id: str) -> Snapshot:
        return reading.snapshot(self._describe([deployment_id])[0])

    def resume(self, snapshot: Snapshot) -> None:
        self._answer_hook(snapshot, "CONTINUE")

    def abort(self, snapshot: Snapshot) -> None:
        if snapshot.gate_token is None:
            self.aws.ecs.stop_service_deployment(
                serviceDeploymentArn=snapshot.deployment_id, stopType="ROLLBACK"
            )
        else:
            self._answer_hook(snapshot, "ROLLBACK")

    def _answer_hook(self, snapshot: Snapshot, action: str) -> None:
        self.aws.ecs.continue_service_deployment(
            serviceDeploymentArn=snapshot.deployment_id, hookId=snapshot.gate_token, action=action
        )

    def _describe(self, arns: list[str]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for start in range(0, len(arns), DESCRIBE_BATCH):
            answer = self.aws.ecs.describe_service_deployments(
                serviceDeploymentArns=arns[start : start + DESCRIBE_BATCH]
            )
            found += answer["serviceDeployments"]
        if len(found) < len(arns):
            missing = set(arns) - {d["serviceDeploymentArn"] for d in found}
            raise UsageError(f"no such service deployment: {', '.join(sorted(missing))}")
        return found

    # -- status, history, control ------------------------------------------------

    def status(self, deployment_id: str | None = None) -> DeploymentSummary:
        with aws_errors("reading the service deployment"):
            deployment = self._describe([deployment_id or self._newest()])[0]
        return reading.summary(deployment, self.name)

    def history(self, limit: int = 20) -> list[DeploymentSummary]:
        with aws_errors("listing service deployments"):
            arns = [b["serviceDeploymentArn"] for b in self._list(limit=limit)]
            deployments = self._describe(arns)
        summaries = [reading.summary(d, self.name) for d in deployments]
        return sorted(summaries, key=lambda s: s.created, reverse=True)

    def continue_deployment(self, deployment_id: str | None = None) -> None:
        with aws_errors("continuing the service deployment"):
            current = self.snapshot(deployment_id or self._newest())
            if current.status is not Status.READY:
                raise UsageError(
                    f"{current.deployment_id} is not waiting at the test-traffic pause "
                    f"({current.status.value}); ECS has no call to end a bake time early"
                )
            self.resume(current)

    def stop(self, deployment_id: str | None = None, *, rollback: bool = True) -> None:
        with aws_errors("stopping the service deployment"):
            self.aws.ecs.stop_service_deployment(
                serviceDeploymentArn=deployment_id or self._newest(),
                stopType="ROLLBACK" if rollback else "ABORT",
            )

    def rollback(self, to_revision: str | None = None) -> str:
        """Roll an active deployment back, else deploy an earlier task definition."""
        with aws_errors("rolling back"):
            active = self._list(list(reading.ACTIVE), limit=1)
            if active:
                arn = str(active[0]["serviceDeploymentArn"])
                self.stop(arn, rollback=True)
                return arn
            task_definition = to_revision or self._previous_task_definition()
            self.aws.ecs.update_service(
                **self.where,
                taskDefinition=task_definition,
                deploymentConfiguration=self.deployment_configuration(),
            )
            return self._started()

    def _previous_task_definition(self) -> str:
        """What the newest successful deployment replaced."""
        done = self._list(["SUCCESSFUL"], limit=1)
        if not done:
            raise UsageError(f"no successful deployment of {self.where['service']} to roll back")
        sources = self._describe([done[0]["serviceDeploymentArn"]])[0].get("sourceServiceRevisions")
        if not sources:
            raise UsageError("the newest successful deployment replaced nothing to go back to")
        revisions = self.aws.ecs.describe_service_revisions(serviceRevisionArns=[sources[0]["arn"]])
        return str(revisions["serviceRevisions"][0]["taskDefinition"])

    def _newest(self) -> str:
        briefs = self._list(limit=1)
        if not briefs:
            raise UsageError(f"no deployments of {self.where['service']} yet")
        return str(briefs[0]["serviceDeploymentArn"])
