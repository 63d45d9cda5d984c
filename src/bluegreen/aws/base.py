"""What both AWS platforms share: clients, required settings, the task
definition registration, the deployment description and following.

`CodeDeployPlatform` and `EcsPlatform` differ in which service drives the
lifecycle; both register the rendered task definition the same way and
follow through the same poll/gate/rollback loop (`follow.py`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from ..engine.events import Event, EventKind
from ..errors import Problem, SpecError, UsageError
from ..gate import Coordinates, GatePlan
from ..images.pushed import last_pushed
from ..platform import DeployRequest
from ..spec.deployment_config import DeploymentConfig, resolve_config
from ..spec.project import Project
from ..spec.taskdef import render_taskdef
from ..vocabulary import Status
from .follow import Polling
from .follow import follow as follow_deployment
from .progress import Snapshot, note
from .session import AwsClients, aws_errors

HOUR = 3600.0


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

    def register_task_definition(self, request: DeployRequest) -> str:
        """Register the rendered taskdef.json; the new revision's ARN."""
        image = request.image or last_pushed(self.project.dir)
        taskdef = render_taskdef(self.project, image=image, set_values=request.set_values)
        with aws_errors("registering the task definition"):
            answer = self.aws.ecs.register_task_definition(**taskdef)
        return str(answer["taskDefinition"]["taskDefinitionArn"])

    def events(self, deployment_id: str, *, follow: bool) -> Iterator[Event]:
        for line in self.notes:
            yield note(deployment_id, Status.CREATED, EventKind.MESSAGE, line)
        self.notes.clear()
        with aws_errors(f"following {deployment_id}"):
            yield from follow_deployment(
                self,
                deployment_id,
                follow=follow,
                gate=self.gate,
                polling=self.polling,
                install_timeout=self.config.deployment.install_timeout,
            )

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
