"""Which image a project builds, for which platform, and where it is pushed."""

from __future__ import annotations

import pytest

from bluegreen.errors import UsageError
from bluegreen.images.project import build_platform, local_image, push_destination
from bluegreen.spec.config import BluegreenConfig

ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com"


def config(**aws: str) -> BluegreenConfig:
    service = {"name": "Web-App", "container": "web", "container_port": 80}
    return BluegreenConfig(service=service, aws=aws)


def test_the_repository_is_the_ecr_repository_else_the_service_name() -> None:
    assert str(local_image(config(), "abc")) == "web-app:abc"
    assert str(local_image(config(ecr_repository="team/web"), "abc")) == "team/web:abc"


@pytest.mark.parametrize(
    ("runtime_platform", "expected"),
    [({"cpuArchitecture": "ARM64"}, "linux/arm64"), ({"cpuArchitecture": "X86_64"}, "linux/amd64"),
     ({"operatingSystemFamily": "LINUX"}, None), (None, None)],
)  # fmt: skip
def test_the_build_targets_the_task_definitions_architecture(
    runtime_platform: dict[str, str] | None, expected: str | None
) -> None:
    taskdef = {"runtimePlatform": runtime_platform} if runtime_platform else {}
    assert build_platform(taskdef) == expected


def test_any_other_registry_uses_dockers_own_credentials(aws: str) -> None:
    assert push_destination(config(), "127.0.0.1:5000/") == ("127.0.0.1:5000", None)


def test_an_ecr_host_logs_in_to_that_account_and_region(aws: str) -> None:
    host, login = push_destination(config(), "210987654321.dkr.ecr.eu-west-1.amazonaws.com")
    assert host == "210987654321.dkr.ecr.eu-west-1.amazonaws.com"
    assert login is not None and login.username == "AWS"


def test_without_a_registry_the_push_goes_to_the_configured_ecr(aws: str) -> None:
    host, login = push_destination(
        config(ecr_repository="web", region="us-east-1", account_id="123456789012"), None
    )
    assert host == ECR
    assert login is not None and login.registry == ECR


def test_without_a_registry_or_ecr_repository_the_user_is_told_what_to_set(aws: str) -> None:
    with pytest.raises(UsageError, match="pass --registry HOST"):
        push_destination(config(), None)
