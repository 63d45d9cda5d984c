"""What `aws-ecs` sends in UpdateService's deploymentConfiguration: the
user's lifecycle hooks kept beside our gate hook, the gate hook taken off
again however the deployment ends, and nothing ECS refuses for BLUE_GREEN."""

from __future__ import annotations

from typing import Any

import pytest

from bluegreen.aws.ecs_native import EcsPlatform
from bluegreen.errors import PlatformError
from bluegreen.platform import DeployRequest
from bluegreen.spec.deployment_config import resolve_config
from bluegreen.spec.project import Project
from bluegreen.vocabulary import Status

from .conftest import IMAGE, Listener, deploy_and_follow, with_config
from .ecs_double import EcsDouble

pytestmark = pytest.mark.usefixtures("ecs_service")

USER_HOOK: dict[str, Any] = {
    "targetType": "AWS_LAMBDA",
    "hookTargetArn": "arn:aws:lambda:us-east-1:123456789012:function:web-check",
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
