"""`aws-codedeploy`: ECS Fargate blue/green driven by AWS CodeDeploy.

bluegreen registers the task definition, sends the AppSpec as an
AppSpecContent revision (content plus the SHA-256 of exactly that string),
creates the deployment and follows it. CodeDeploy runs the lifecycle; the
deployment group's ready wait (STOP_DEPLOYMENT) holds it in Ready so that
the follower can validate green through the test listener and then call
ContinueDeployment(READY_WAIT) or StopDeployment with auto-rollback.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from itertools import islice
from typing import Any

from botocore.exceptions import ClientError

from ..errors import PlatformError, UsageError
from ..platform import DeploymentSummary, DeployRequest
from ..spec.appspec import render_appspec
from ..spec.config import AwsConfig
from ..vocabulary import TERMINAL, LifecycleEvent, ReadyAction, Status, StepStatus
from . import codedeploy_reading as reading
from .base import AwsPlatform, describe
from .progress import Snapshot
from .session import aws_errors, error_code, error_message

# "The Deployment Group 'X' already has an active Deployment 'd-ABCDEF123'"
ACTIVE_ID = re.compile(r"active Deployment '([^']+)'|\b(d-[A-Z0-9]{9})\b")
BATCH = 25
SCAN = 100


class CodeDeployPlatform(AwsPlatform):
    name = "aws-codedeploy"

    @property
    def application(self) -> str:
        return self._names()[0]

    @property
    def group(self) -> str:
        return self._names()[1]

    def _names(self) -> tuple[str, str]:
        aws = self.config.aws
        if aws.codedeploy_application and aws.codedeploy_group:
            return aws.codedeploy_application, aws.codedeploy_group
        return codedeploy_names(aws, self.setting("cluster"), self.setting("service"))

    # -- deploy ---------------------------------------------------------------

    def deploy(self, request: DeployRequest) -> str:
        self._check_group_waits()
        arn = self.register_task_definition(request)
        revision = render_appspec(self.project, arn).to_codedeploy()
        return self._create(revision, describe(request, arn.rpartition("/")[2]), request)

    def _check_group_waits(self) -> None:
        """With a gate configured, the group must wait in Ready (STOP_DEPLOYMENT);
        otherwise CodeDeploy reroutes production before anything is checked."""
        if self.gate is None:
            return
        with aws_errors("reading the deployment group"):
            group = self.aws.codedeploy.get_deployment_group(
                applicationName=self.application, deploymentGroupName=self.group
            )["deploymentGroupInfo"]
        blue_green = group.get("blueGreenDeploymentConfiguration") or {}
        ready = blue_green.get("deploymentReadyOption") or {}
        if ready.get("actionOnTimeout") != ReadyAction.STOP:
            raise UsageError(
                f"deployment group {self.group} does not wait before rerouting "
                f"(deploymentReadyOption {ready.get('actionOnTimeout', 'unset')}), so the "
                "test-listener gate could not hold production traffic; set actionOnTimeout "
                "STOP_DEPLOYMENT (as `bluegreen aws template` does), or remove "
                "aws.test_listener_url and validation.command to deploy without a gate"
            )

    def _create(self, revision: Mapping[str, Any], description: str, request: DeployRequest) -> str:
        kwargs: dict[str, Any] = {
            "applicationName": self.application,
            "deploymentGroupName": self.group,
            "revision": revision,
            "description": description,
            "autoRollbackConfiguration": self._auto_rollback(),
        }
        config_name = request.config_name or self.config.deployment.config.name
        if config_name:
            kwargs["deploymentConfigName"] = config_name
        while True:
            try:
                with aws_errors("creating the deployment"):
                    return self._create_once(kwargs)
            except SlotTaken as taken:
                if not request.wait_for_slot:
                    raise
                self._wait_until_ended(taken.active)

    def _create_once(self, kwargs: Mapping[str, Any]) -> str:
        try:
            return str(self.aws.codedeploy.create_deployment(**kwargs)["deploymentId"])
        except ClientError as exc:
            if error_code(exc) != "DeploymentLimitExceededException":
                raise
            raise SlotTaken(self.group, error_message(exc)) from None

    def _auto_rollback(self) -> dict[str, Any]:
        events = list(self.config.deployment.auto_rollback)
        return {"enabled": bool(events), "events": events} if events else {"enabled": False}

    def _wait_until_ended(self, deployment_id: str | None) -> None:
        """--wait-for-slot: poll the active deployment until it has ended."""
        pause = self.polling.first
        give_up = time.monotonic() + self.polling.timeout
        while time.monotonic() < give_up:
            if deployment_id is None or self._info(deployment_id)["status"] in TERMINAL:
                return
            time.sleep(pause)
            pause = self.polling.next(pause, changed=False)
        raise PlatformError(f"{deployment_id} still holds {self.group}; gave up waiting")

    # -- following (the follower's DeploymentControls) ---------------------------------

    def snapshot(self, deployment_id: str) -> Snapshot:
        return reading.snapshot(self._info(deployment_id), self._target(deployment_id))

    def resume(self, snapshot: Snapshot) -> None:
        with answered_elsewhere():
            self.aws.codedeploy.continue_deployment(
                deploymentId=snapshot.deployment_id, deploymentWaitType="READY_WAIT"
            )

    def abort(self, snapshot: Snapshot) -> None:
        with answered_elsewhere():
            self.aws.codedeploy.stop_deployment(
                deploymentId=snapshot.deployment_id, autoRollbackEnabled=True
            )

    def _info(self, deployment_id: str) -> dict[str, Any]:
        answer = self.aws.codedeploy.get_deployment(deploymentId=deployment_id)
        return dict(answer["deploymentInfo"])

    def _target(self, deployment_id: str) -> dict[str, Any] | None:
        """The ECS service's deployment target; None until CodeDeploy has created it."""
        client = self.aws.codedeploy
        ids = client.list_deployment_targets(deploymentId=deployment_id).get("targetIds", [])
        if not ids:
            return None
        answer = client.batch_get_deployment_targets(deploymentId=deployment_id, targetIds=ids[:1])
        targets = answer.get("deploymentTargets", [])
        return dict(targets[0].get("ecsTarget") or {}) if targets else None

    # -- status, history, control ------------------------------------------------

    def status(self, deployment_id: str | None = None) -> DeploymentSummary:
        with aws_errors("reading the deployment"):
            info = self._info(deployment_id or self._newest())
            snapshot = reading.snapshot(info, self._target(info["deploymentId"]))
        return reading.summary(info, self.name, snapshot.weights)

    def history(self, limit: int = 20) -> list[DeploymentSummary]:
        with aws_errors("listing deployments"):
            infos = self._recent(limit)
        return [reading.summary(info, self.name) for info in infos]

    def continue_deployment(self, deployment_id: str | None = None) -> None:
        with aws_errors("continuing the deployment"):
            current = self.snapshot(deployment_id or self._newest())
            wait = _wait_to_end(current)
            if wait is None:
                raise UsageError(
                    f"{current.deployment_id} is {current.status.value}, neither waiting in "
                    "Ready nor in the termination wait: nothing to continue"
                )
            self.aws.codedeploy.continue_deployment(
                deploymentId=current.deployment_id, deploymentWaitType=wait
            )

    def stop(self, deployment_id: str | None = None, *, rollback: bool = True) -> None:
        with aws_errors("stopping the deployment"):
            self.aws.codedeploy.stop_deployment(
                deploymentId=deployment_id or self._newest(), autoRollbackEnabled=rollback
            )

    def rollback(self, to_revision: str | None = None) -> str:
        """Stop an active deployment with rollback, else redeploy an earlier revision."""
        with aws_errors("rolling back"):
            recent = self._recent(BATCH)
            if recent and recent[0]["status"] not in TERMINAL:
                self.stop(recent[0]["deploymentId"], rollback=True)
                return str(recent[0]["deploymentId"])
            revision = self._earlier_revision(recent, to_revision)
        return self._create(revision, "bluegreen: rollback", DeployRequest())

    def _earlier_revision(self, recent: list[dict[str, Any]], wanted: str | None) -> dict[str, Any]:
        good = [i for i in recent if i["status"] == "Succeeded" and i.get("revision")]
        if wanted:
            matches = [
                i for i in good if wanted in (reading.task_definition_of(i), i["deploymentId"])
            ]
            if not matches:
                raise UsageError(f"no succeeded deployment of {wanted!r} in the last {BATCH}")
            return dict(matches[0]["revision"])
        if len(good) < 2:
            raise UsageError(f"no earlier succeeded deployment in {self.group} to roll back to")
        return dict(good[1]["revision"])

    def _newest(self) -> str:
        recent = self._recent(1)
        if not recent:
            raise UsageError(f"no deployments in {self.application}/{self.group} yet")
        return str(recent[0]["deploymentId"])

    def _recent(self, limit: int) -> list[dict[str, Any]]:
        """Deployment infos of the group, newest first."""
        pages = self.aws.codedeploy.get_paginator("list_deployments").paginate(
            applicationName=self.application, deploymentGroupName=self.group
        )
        # AWS lists newest first; a long-lived group's history is capped, not paged through.
        ids = list(islice((i for page in pages for i in page.get("deployments", [])), SCAN))
        infos: list[dict[str, Any]] = []
        for start in range(0, len(ids), BATCH):
            answer = self.aws.codedeploy.batch_get_deployments(
                deploymentIds=ids[start : start + BATCH]
            )
            infos += answer.get("deploymentsInfo", [])
        infos.sort(key=lambda i: i["createTime"], reverse=True)
        return infos[:limit]


MOVED_ON = frozenset(
    {"DeploymentIsNotInReadyStateException", "DeploymentAlreadyCompletedException"}
)


@contextmanager
def answered_elsewhere() -> Iterator[None]:
    """Another follower (a second `status --watch`, a console click) already left
    Ready: nothing to do here; the next poll shows where it went."""
    try:
        yield
    except ClientError as exc:
        if error_code(exc) not in MOVED_ON:
            raise


def _wait_to_end(current: Snapshot) -> str | None:
    """READY_WAIT in Ready; TERMINATION_WAIT once production is on green."""
    if current.status is Status.READY:
        return "READY_WAIT"
    shifted = current.steps.get(LifecycleEvent.ALLOW_TRAFFIC)
    if current.status is Status.IN_PROGRESS and shifted and shifted.status is StepStatus.SUCCEEDED:
        return "TERMINATION_WAIT"
    return None


def codedeploy_names(aws: AwsConfig, cluster: str, service: str) -> tuple[str, str]:
    """Application and group: as configured, else the ECS console's names."""
    return (
        aws.codedeploy_application or f"AppECS-{cluster}-{service}",
        aws.codedeploy_group or f"DgpECS-{cluster}-{service}",
    )


class SlotTaken(PlatformError):
    """DeploymentLimitExceededException: the group already runs a deployment."""

    def __init__(self, group: str, aws_message: str) -> None:
        found = ACTIVE_ID.search(aws_message)
        self.active = (found.group(1) or found.group(2)) if found else None
        active = self.active or "another deployment"
        super().__init__(
            f"deployment group {group} already has an active deployment {active}; "
            f"follow it with `bluegreen status --watch`, stop it with `bluegreen stop "
            f"{self.active or ''}`, or deploy with --wait-for-slot"
        )
