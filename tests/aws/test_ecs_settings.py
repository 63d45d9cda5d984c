"""What `aws-ecs` sends in UpdateService's deploymentConfiguration: the
user's lifecycle hooks kept beside our gate hook, the gate hook taken off
again however the deployment ends, and nothing ECS refuses for BLUE_GREEN."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from bluegreen.aws.ecs_native import EcsPlatform
from bluegreen.errors import PlatformError, SpecError
from bluegreen.platform import DeployRequest
from bluegreen.spec.deployment_config import resolve_config
from bluegreen.spec.project import Project
from bluegreen.vocabulary import Status

from . import ecs_double as script
from .conftest import IMAGE, Listener, deploy_and_follow, with_config
from .ecs_double import EcsDouble

pytestmark = pytest.mark.usefixtures("ecs_service")

USER_HOOK: dict[str, Any] = {
    "targetType": "AWS_LAMBDA",
    "hookTargetArn": script.LAMBDA_ARN,
    "roleArn": "arn:aws:iam::123456789012:role/ecs-hooks",
    "lifecycleStages": ["POST_SCALE_UP"],
}
ROLLING: dict[str, Any] = {
    "maximumPercent": 200,
    "minimumHealthyPercent": 100,
    "strategy": "ROLLING",
    "lifecycleHooks": [USER_HOOK],
    "earlySuccessCriteria": {"enable": True, "healthyPercent": 50},
}


def sent(ecs: EcsDouble) -> list[dict[str, Any]]:
    return [call["deploymentConfiguration"] for call in ecs.called("UpdateService")]


@pytest.fixture
def configured(ecs: EcsDouble) -> EcsDouble:
    ecs.deployment_configuration = dict(ROLLING)
    return ecs


@pytest.mark.parametrize("gate_passes", [True, False])
def test_user_hooks_are_kept_and_ours_removed_after(
    project: Project, listener: Listener, configured: EcsDouble, gate_passes: bool
) -> None:
    listener.status = 200 if gate_passes else 500
    _, events = deploy_and_follow(EcsPlatform(project))
    assert events[-1].status is (Status.SUCCEEDED if gate_passes else Status.STOPPED)
    during, after = sent(configured)
    assert during["lifecycleHooks"][0] == USER_HOOK
    assert [h["targetType"] for h in during["lifecycleHooks"]] == ["AWS_LAMBDA", "PAUSE"]
    assert after["lifecycleHooks"] == [USER_HOOK]
    assert configured.deployment_configuration["lifecycleHooks"] == [USER_HOOK]
    assert len(configured.scripts) == 1  # taking the hook off started no deployment


def test_gate_hook_removed_when_following_is_interrupted(
    project: Project, configured: EcsDouble
) -> None:
    platform = EcsPlatform(project)
    arn = platform.deploy(DeployRequest(image=IMAGE))
    assert len(configured.deployment_configuration["lifecycleHooks"]) == 2
    following = platform.events(arn, follow=True)
    next(following)
    with pytest.raises(KeyboardInterrupt):
        following.throw(KeyboardInterrupt())
    assert configured.deployment_configuration["lifecycleHooks"] == [USER_HOOK]


def test_gate_hook_removed_when_the_deployment_never_starts(
    project: Project, configured: EcsDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    platform = EcsPlatform(project)

    def nothing_listed(*_: object, **__: object) -> list[dict[str, Any]]:
        raise PlatformError("ECS lists no new service deployment")

    monkeypatch.setattr(platform, "_started", nothing_listed)
    with pytest.raises(PlatformError):
        platform.deploy(DeployRequest(image=IMAGE))
    assert configured.deployment_configuration["lifecycleHooks"] == [USER_HOOK]


def test_a_gate_hook_left_by_an_earlier_run_is_not_doubled(
    project: Project, configured: EcsDouble
) -> None:
    platform = EcsPlatform(project)
    platform.deploy(DeployRequest(image=IMAGE))  # --no-wait: nobody takes the hook off
    configured.scripts.clear()
    platform.deploy(DeployRequest(image=IMAGE))
    hooks = sent(configured)[-1]["lifecycleHooks"]
    assert [h["targetType"] for h in hooks] == ["AWS_LAMBDA", "PAUSE"]


def test_early_success_criteria_is_not_sent_with_blue_green(
    project: Project, configured: EcsDouble
) -> None:
    all_at_once = resolve_config("CodeDeployDefault.ECSAllAtOnce")
    deploy_and_follow(EcsPlatform(with_config(project, "deployment", config=all_at_once)))
    for settings in sent(configured):
        assert settings["strategy"] == "BLUE_GREEN"
        assert "earlySuccessCriteria" not in settings
    assert sent(configured)[0]["maximumPercent"] == 200


def registered() -> list[str]:
    return list(boto3.client("ecs").list_task_definitions(familyPrefix="web")["taskDefinitionArns"])


def test_a_linear_table_becomes_the_linear_strategy(project: Project, ecs: EcsDouble) -> None:
    linear = resolve_config({"type": "linear", "percent": 20, "interval": "2m"})
    platform = EcsPlatform(with_config(project, "deployment", config=linear))
    platform.deploy(DeployRequest(image=IMAGE))
    settings = sent(ecs)[0]
    assert settings["strategy"] == "LINEAR"
    assert settings["linearConfiguration"] == {"stepPercent": 20.0, "stepBakeTimeInMinutes": 2}


def test_config_option_is_used(project: Project, ecs: EcsDouble) -> None:
    request = DeployRequest(image=IMAGE, config_name="CodeDeployDefault.ECSAllAtOnce")
    EcsPlatform(project).deploy(request)
    assert sent(ecs)[0]["strategy"] == "BLUE_GREEN"


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"type": "canary", "percent": 10, "interval": "30s"}, "deployment.config.interval"),
        ({"type": "linear", "percent": 2, "interval": "1m"}, "deployment.config.percent"),
        ("MyCodeDeployCanary", "deployment.config"),
    ],
)
def test_what_ecs_cannot_do_is_refused_before_anything_changes(
    project: Project, ecs: EcsDouble, config: Any, field: str
) -> None:
    before = registered()
    platform = EcsPlatform(with_config(project, "deployment", config=resolve_config(config)))
    with pytest.raises(SpecError) as caught:
        platform.deploy(DeployRequest(image=IMAGE))
    assert caught.value.exit_code == 2
    assert [p.field for p in caught.value.problems] == [field]
    assert registered() == before
    assert not ecs.called("UpdateService")
