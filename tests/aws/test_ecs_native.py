"""aws-ecs under what the emulator can't produce: throttled calls and missing
credentials (moto plus the progression double; every deployment behaviour is
tested against the emulator in tests/emulator/test_ecs_platform.py)."""

from __future__ import annotations

import pytest

from bluegreen.aws.ecs_native import EcsPlatform
from bluegreen.engine.events import Event
from bluegreen.errors import PlatformError
from bluegreen.platform import DeployRequest
from bluegreen.spec.project import Project
from bluegreen.vocabulary import Status

from .conftest import IMAGE, deploy_and_follow
from .ecs_double import EcsDouble

pytestmark = pytest.mark.usefixtures("ecs_service")


def run(project: Project, **request: object) -> tuple[str, list[Event]]:
    return deploy_and_follow(EcsPlatform(project), **request)


def test_throttled_describe_is_retried(
    project: Project, ecs: EcsDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "3")
    ecs.throttle["DescribeServiceDeployments"] = 2
    _, events = run(project)
    assert events[-1].status is Status.SUCCEEDED
    assert ecs.throttle["DescribeServiceDeployments"] == 0


def test_missing_credentials_is_exit_4(
    project: Project, ecs: EcsDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(PlatformError, match="no AWS credentials found") as caught:
        EcsPlatform(project).deploy(DeployRequest(image=IMAGE))
    assert caught.value.exit_code == 4
