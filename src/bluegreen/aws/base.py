"""What both AWS platforms share: clients, required settings, the task
definition registration, the deployment description and following.

`CodeDeployPlatform` and `EcsPlatform` differ in which service drives the
lifecycle; both register the rendered task definition the same way and
follow through the same poll/gate/rollback loop (`follow.py`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from typing import Any

from ..engine.events import Event, EventKind
from ..errors import Problem, SpecError, UsageError
from ..gate import Coordinates, GatePlan
from ..images.pushed import last_pushed
from ..notify import Notifier
from ..platform import DeployRequest, LiveState
from ..spec.deployment_config import DeploymentConfig, resolve_config
from ..spec.notifications import NotificationsSection, resolved
from ..spec.project import Project
from ..spec.taskdef import render_taskdef
from ..vocabulary import Status
from .follow import Polling
from .follow import follow as follow_deployment
from .progress import Snapshot, note
from .session import AwsClients, aws_errors

HOUR = 3600.0
NOTIFY_DRAIN = 30.0
"""How long the follower waits, once the deployment ends, for webhooks to answer."""
log = logging.getLogger(__name__)


class AwsPlatform:
    name = "aws"

    def __init__(self, project: Project) -> None:
        self.project = project
        self.config = project.config
        self.aws = AwsClients(self.config.aws.region)
        test_url = self.config.aws.test_listener_url
        self.gate = GatePlan.from_config(self.config, project.dir, test_url)
        self.notes: list[str] = []
        """What deploying decided that the user should read, shown when following starts."""
        deployment = self.config.deployment
        self.polling = Polling.from_env(
            timeout=deployment.ready_wait + deployment.termination_wait + 2 * HOUR
        )

    def setting(self, field: str) -> str:
        """A required `[aws]` value, or a SpecError naming it (exit 2, nothing changed)."""
        value = getattr(self.config.aws, field)
        if not value:
            variable = f"BLUEGREEN_AWS_{field.upper()}"
            raise SpecError(
                Problem(
                    str(self.project.config_path),
                    f"aws.{field}",
                    f"required for --platform {self.name}; set it here or in {variable}",
                )
            )
        return str(value)

    def shift(self, request: DeployRequest) -> DeploymentConfig:
        """How traffic moves for this deployment: --config, else bluegreen.toml's."""
        if not request.config_name:
            return self.config.deployment.config
        try:
            return resolve_config(request.config_name)
        except ValueError as exc:
            raise UsageError(f"--config: {exc}") from exc

    def proposed_taskdef(self, request: DeployRequest) -> dict[str, Any]:
        """taskdef.json rendered for this request, as RegisterTaskDefinition gets it."""
        image = request.image or last_pushed(self.project.dir)
        return render_taskdef(self.project, image=image, set_values=request.set_values)

    def register_task_definition(self, request: DeployRequest) -> str:
        """Register the rendered taskdef.json; the new revision's ARN. The deploy's
        first change, so what must be refused is refused before it."""
        self.webhooks()
        taskdef = self.proposed_taskdef(request)
        with aws_errors("registering the task definition"):
            answer = self.aws.ecs.register_task_definition(**taskdef)
        return str(answer["taskDefinition"]["taskDefinitionArn"])

    def events(self, deployment_id: str, *, follow: bool) -> Iterator[Event]:
        """The deployment's events; while following, also told to `[notifications]`
        (on AWS the follower is the one place that sees them all)."""
        for line in self.notes:
            yield note(deployment_id, Status.CREATED, EventKind.MESSAGE, line)
        self.notes.clear()
        notifier, off = self._notifier() if follow else (None, None)
        if off:
            yield note(deployment_id, Status.IN_PROGRESS, EventKind.MESSAGE, off)
        try:
            with aws_errors(f"following {deployment_id}"):
                for event in follow_deployment(
                    self,
                    deployment_id,
                    follow=follow,
                    gate=self.gate,
                    polling=self.polling,
                    install_timeout=self.config.deployment.install_timeout,
                ):
                    if notifier is not None:
                        notifier.publish(event)
                    yield event
        finally:
            if notifier is not None:
                for lost in notifier.close(NOTIFY_DRAIN):
                    log.warning("notification not delivered: %s", lost)

    def webhooks(self) -> NotificationsSection:
        """`[notifications]` with URLs from the environment; a missing one is exit 2.
        Deploys call it before their first change."""
        return resolved(self.config.notifications, str(self.project.config_path))

    def _notifier(self) -> tuple[Notifier | None, str | None]:
        """The follower's notifier, or why there is none when webhooks are configured."""
        if not self.config.notifications.webhooks:
            return None, None
        try:
            section = self.webhooks()
        except SpecError as exc:
            return None, f"notifications are off for this follower: {exc}"
        return Notifier(section, service=self.config.service.name, platform=self.name), None

    def live(self, request: DeployRequest) -> LiveState:
        """The service's task definition now (its primary task set's, under
        CodeDeploy) beside the one a deploy would register."""
        proposed = self.proposed_taskdef(request)
        refusals = self.refusals()
        ecs = self.aws.ecs
        with aws_errors("reading the service's task definition"):
            services = ecs.describe_services(
                cluster=self.setting("cluster"), services=[self.setting("service")]
            )["services"]
            arn = live_task_definition(services[0]) if services else None
            taskdef = (
                ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"] if arn else None
            )
        revision = arn.rpartition("/")[2] if arn else None
        return LiveState(revision, taskdef, proposed, refusals=refusals)

    def now(self, deployment_id: str) -> Mapping[str, Any] | None:
        return None

    def refusals(self) -> tuple[str, ...]:
        """What `deploy` would refuse in the service's or group's settings."""
        try:
            self.check_settings()
        except UsageError as refused:
            return (str(refused),)
        return ()

    def check_settings(self) -> None:
        """Raise UsageError when the group or service cannot run what bluegreen.toml says."""

    def snapshot(self, deployment_id: str) -> Snapshot:
        raise NotImplementedError

    def test_traffic_holder(self, ready: Snapshot) -> str | None:
        raise NotImplementedError

    def coordinates(self, ready: Snapshot) -> Coordinates:
        raise NotImplementedError

    def resume(self, snapshot: Snapshot) -> None:
        raise NotImplementedError

    def abort(self, snapshot: Snapshot) -> None:
        raise NotImplementedError


def live_task_definition(service: Mapping[str, Any]) -> str | None:
    """The task definition serving production: the PRIMARY task set's when the
    service has task sets (CodeDeploy), else the service's own."""
    for task_set in service.get("taskSets") or []:
        if task_set.get("status") == "PRIMARY":
            return str(task_set["taskDefinition"])
    arn = service.get("taskDefinition")
    return str(arn) if arn else None


def describe(request: DeployRequest, what: str) -> str:
    """The deployment's description: what was deployed and, in CI, from where."""
    parts = [request.description or f"bluegreen: {what}"]
    commit = os.environ.get("CI_COMMIT_SHA")
    pipeline = os.environ.get("CI_PIPELINE_URL")
    if commit:
        parts.append(f"commit {commit}")
    if pipeline:
        parts.append(f"pipeline {pipeline}")
    return "; ".join(parts)[:1000]
