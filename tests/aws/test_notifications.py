"""`[notifications]` on aws-codedeploy: the follower tells the webhook what
the deployment did, through a receiver that fails twice; a missing URL
variable refuses the deploy before the task definition is registered."""

from __future__ import annotations

from dataclasses import replace

import boto3
import pytest

from bluegreen.aws.codedeploy import CodeDeployPlatform
from bluegreen.errors import SpecError
from bluegreen.platform import DeployRequest
from bluegreen.spec.notifications import NotificationsSection, Webhook
from bluegreen.spec.project import Project

from .codedeploy_double import CodeDeployDouble
from .conftest import IMAGE

pytestmark = pytest.mark.usefixtures("codedeploy_group")


def with_webhook(project: Project, **hook: str) -> Project:
    section = NotificationsSection(webhooks=(Webhook(**hook),))  # type: ignore[arg-type]
    config = project.config.model_copy(update={"notifications": section})
    return replace(project, config=config)


def test_an_unset_url_variable_refuses_before_anything_is_registered(
    project: Project, codedeploy: CodeDeployDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BLUEGREEN_TEST_WEBHOOK", raising=False)
    platform = CodeDeployPlatform(with_webhook(project, url_env="BLUEGREEN_TEST_WEBHOOK"))
    with pytest.raises(SpecError, match="BLUEGREEN_TEST_WEBHOOK is not set") as caught:
        platform.deploy(DeployRequest(image=IMAGE))
    assert caught.value.exit_code == 2
    assert not boto3.client("ecs").list_task_definitions()["taskDefinitionArns"]
    assert not codedeploy.called("CreateDeployment")
