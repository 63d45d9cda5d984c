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
from typing import Any

from botocore.exceptions import ClientError

from ..errors import PlatformError, UsageError
from ..gate import Coordinates
from ..platform import DeploymentSummary, DeployRequest
from ..spec.appspec import render_appspec
from ..spec.config import AwsConfig
from ..spec.deployment_config import DeploymentConfig
from ..spec.duration import format_duration
from ..vocabulary import TERMINAL, LifecycleEvent, ReadyAction, Status, StepStatus
from . import codedeploy_reading as reading
from .aws_durations import READY_WAIT, TERMINATION_WAIT
from .base import AwsPlatform, describe
from .progress import Snapshot
from .session import aws_errors, error_code, error_message
from .shift_settings import codedeploy_config
from .test_route import codedeploy_test_holder, group_route, listener_url

# "The Deployment Group 'X' already has an active Deployment 'd-ABCDEF123'"
ACTIVE_ID = re.compile(r"active Deployment '([^']+)'|\b(d-[A-Z0-9]{9})\b")
BATCH = 25


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
        self.check_settings()
        config_name = self._config_name(self.shift(request))
        arn = self.register_task_definition(request)
        warnings = self.project.appspec.hook_name_warnings(str(self.project.appspec_path))
        self.notes += [f"warning: {warning}" for warning in warnings]
        revision = render_appspec(self.project, arn).to_codedeploy()
        what = describe(request, arn.rpartition("/")[2])
        return self._create(revision, what, config_name, request.wait_for_slot)

    def _config_name(self, shift: DeploymentConfig) -> str:
        with aws_errors("finding or making the deployment config"):
            return codedeploy_config(self.aws.codedeploy, shift, str(self.project.config_path))

    def check_settings(self) -> None:
        """CodeDeploy takes its waits from the deployment group, not from the
        deployment: refuse when the group's differ from bluegreen.toml's, rather
        than run a schedule the user did not ask for. With a gate, the group must
        also wait in Ready (STOP_DEPLOYMENT), else CodeDeploy reroutes production
        before anything is checked, and have a test listener, else the gate would
        probe blue."""
        group = self._group_info()
        settings = group.get("blueGreenDeploymentConfiguration") or {}
        wrong = self._wait_mismatches(settings)
        if self.gate is not None:
            wrong += self._gate_mismatches(group, settings.get("deploymentReadyOption") or {})
        if wrong:
            raise UsageError(
                f"deployment group {self.group} does not run what bluegreen.toml says: "
                f"{'; '.join(wrong)}. Update the group (`bluegreen aws bootstrap` does), or "
                "change bluegreen.toml to match it"
            )

    def _wait_mismatches(self, settings: Mapping[str, Any]) -> list[str]:
        deployment = self.config.deployment
        source = str(self.project.config_path)
        wrong = []
        terminate = settings.get("terminateBlueInstancesOnDeploymentSuccess") or {}
        if terminate.get("action", "TERMINATE") == "TERMINATE":
            field = "deployment.termination_wait"
            wanted = TERMINATION_WAIT.fit(deployment.termination_wait, field, self.notes, source)
            held = int(terminate.get("terminationWaitTimeInMinutes", 0))
            if held != wanted:
                wrong.append(f"it waits {held} min before terminating blue, {field} {wanted}")
        ready = settings.get("deploymentReadyOption") or {}
        if deployment.ready_wait and ready.get("actionOnTimeout") == ReadyAction.STOP:
            field = "deployment.ready_wait"
            wanted = READY_WAIT.fit(deployment.ready_wait, field, self.notes, source)
            held = int(ready.get("waitTimeInMinutes", 0))
            if held < wanted:
                wrong.append(f"it waits {held} min in Ready, {field} {wanted}")
        return wrong

    def _gate_mismatches(self, group: Mapping[str, Any], ready: Mapping[str, Any]) -> list[str]:
        wrong = []
        if ready.get("actionOnTimeout") != ReadyAction.STOP:
            wrong.append(
                f"it does not wait before rerouting (deploymentReadyOption "
                f"{ready.get('actionOnTimeout', 'unset')}), so the gate could not hold "
                "production traffic: set actionOnTimeout STOP_DEPLOYMENT"
            )
        elif int(ready.get("waitTimeInMinutes", 0)) * 60 < self.config.validation.deadline:
            wrong.append(
                f"it waits {ready.get('waitTimeInMinutes', 0)} min in Ready, less than the "
                f"gate's validation.deadline ({format_duration(self.config.validation.deadline)})"
            )
        if group_route(group, "testTrafficRoute") is None:
            wrong.append(
                "it has no loadBalancerInfo.targetGroupPairInfoList[].testTrafficRoute, so "
                "the test listener would serve blue: add testTrafficRoute.listenerArns"
            )
        return wrong

    def _group_info(self) -> dict[str, Any]:
        with aws_errors("reading the deployment group"):
            answer = self.aws.codedeploy.get_deployment_group(
                applicationName=self.application, deploymentGroupName=self.group
            )
        return dict(answer["deploymentGroupInfo"])

    def _create(
        self, revision: Mapping[str, Any], description: str, config_name: str, wait: bool
    ) -> str:
        kwargs: dict[str, Any] = {
            "applicationName": self.application,
            "deploymentGroupName": self.group,
            "revision": revision,
            "description": description,
            "deploymentConfigName": config_name,
        }
        rollback = self._auto_rollback()
        if rollback is not None:
            kwargs["autoRollbackConfiguration"] = rollback
        while True:
            try:
                with aws_errors("creating the deployment"):
                    return self._create_once(kwargs)
            except SlotTaken as taken:
                if not wait:
                    raise
                self._wait_until_ended(taken.active)

    def _create_once(self, kwargs: Mapping[str, Any]) -> str:
        try:
            return str(self.aws.codedeploy.create_deployment(**kwargs)["deploymentId"])
        except ClientError as exc:
            if error_code(exc) != "DeploymentLimitExceededException":
                raise
            raise SlotTaken(self.group, error_message(exc)) from None

    def _auto_rollback(self) -> dict[str, Any] | None:
        """Per-deployment rollback settings, or None to leave the group's.

        Without `auto_rollback` in bluegreen.toml the deployment group's
        setting applies; an explicit list (even an empty one) overrides it
        for this deployment. Either way the output says which.
        """
        deployment = self.config.deployment
        if "auto_rollback" not in deployment.model_fields_set:
            self.notes.append(
                f"auto-rollback: deployment group {self.group}'s setting applies "
                "(no deployment.auto_rollback in bluegreen.toml)"
            )
            return None
        events = list(deployment.auto_rollback)
        if not events:
            self.notes.append(
                "auto-rollback: off for this deployment (deployment.auto_rollback = [] "
                f"overrides deployment group {self.group}'s setting)"
            )
            return {"enabled": False}
        self.notes.append(f"auto-rollback on {', '.join(events)} for this deployment")
        return {"enabled": True, "events": events}

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

    def test_traffic_holder(self, ready: Snapshot) -> str | None:
        listener = group_route(self._group_info(), "testTrafficRoute")
        if listener is None:
            return f"deployment group {self.group} has no test traffic route"
        return codedeploy_test_holder(
            self.aws.client("elbv2"), listener, self._target(ready.deployment_id)
        )

    def coordinates(self, ready: Snapshot) -> Coordinates:
        prod = group_route(self._group_info(), "prodTrafficRoute")
        return Coordinates(
            deployment_id=ready.deployment_id,
            revision=reading.task_definition_of(self._info(ready.deployment_id)),
            prod_url=listener_url(self.aws.client("elbv2"), prod) if prod else "",
            test_url=self.config.aws.test_listener_url or "",
        )

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
        config_name = self._config_name(self.config.deployment.config)
        return self._create(revision, "bluegreen: rollback", config_name, wait=False)

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
        """Deployment infos of the group, newest first.

        ListDeployments promises no order, so every page is read and the
        infos are sorted by createTime: the newest may be on the last page.
        """
        pages = self.aws.codedeploy.get_paginator("list_deployments").paginate(
            applicationName=self.application, deploymentGroupName=self.group
        )
        ids = [i for page in pages for i in page.get("deployments", [])]
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
