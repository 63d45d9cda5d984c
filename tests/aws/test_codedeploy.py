"""aws-codedeploy where only a double can go: throttling injected at the
botocore layer, and missing credentials or image. Everything a deployment
does is tested against the emulator (tests/emulator/test_codedeploy_platform.py)."""

from __future__ import annotations

import pytest

from bluegreen.aws.codedeploy import CodeDeployPlatform
from bluegreen.engine.events import Event
from bluegreen.errors import PlatformError, SpecError
from bluegreen.platform import DeployRequest
from bluegreen.spec.project import Project
from bluegreen.vocabulary import Status

from . import codedeploy_double as script
from .codedeploy_double import CodeDeployDouble
from .conftest import IMAGE, deploy_and_follow

pytestmark = pytest.mark.usefixtures("codedeploy_group")


def run(project: Project, **request: object) -> tuple[str, list[Event]]:
    return deploy_and_follow(CodeDeployPlatform(project), **request)


def last_status(events: list[Event]) -> Status:
    return events[-1].status


def test_throttling_is_retried(
    project: Project, codedeploy: CodeDeployDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "3")
    codedeploy.plan.append(script.no_gate)
    codedeploy.throttle["ListDeploymentTargets"] = 2
    _, events = run(project)
    assert last_status(events) is Status.SUCCEEDED
    assert codedeploy.throttle["ListDeploymentTargets"] == 0


def test_throttling_beyond_attempts_is_a_platform_error(
    project: Project, codedeploy: CodeDeployDouble
) -> None:
    codedeploy.throttle["ContinueDeployment"] = 5
    platform = CodeDeployPlatform(project)
    deployment_id = platform.deploy(DeployRequest(image=IMAGE))
    with pytest.raises(PlatformError, match="ThrottlingException"):
        list(platform.events(deployment_id, follow=True))


def test_missing_credentials_is_exit_4(
    project: Project, codedeploy: CodeDeployDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(PlatformError, match="no AWS credentials found") as caught:
        CodeDeployPlatform(project).deploy(DeployRequest(image=IMAGE))
    assert caught.value.exit_code == 4


def test_without_image_or_a_push_the_error_says_how_to_give_one(project: Project) -> None:
    with pytest.raises(SpecError, match=r"--image URI \(or run `bluegreen push` first\)"):
        CodeDeployPlatform(project).deploy(DeployRequest())
