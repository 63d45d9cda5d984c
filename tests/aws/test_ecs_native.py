"""aws-ecs against moto (task definitions, cluster, service, UpdateService)
plus the progression double for the service-deployment calls moto lacks."""

from __future__ import annotations

import boto3
import pytest

from bluegreen.aws.ecs_native import EcsPlatform
from bluegreen.engine.events import Event, EventKind
from bluegreen.errors import PlatformError
from bluegreen.platform import DeployRequest
from bluegreen.spec.project import Project
from bluegreen.vocabulary import LifecycleEvent, Status, StepStatus

from . import ecs_double as script
from .conftest import IMAGE, Listener, deploy_and_follow, with_config
from .ecs_double import HOOK_ID, EcsDouble

pytestmark = pytest.mark.usefixtures("ecs_service")


def run(project: Project, **request: object) -> tuple[str, list[Event]]:
    return deploy_and_follow(EcsPlatform(project), **request)


def test_pause_gate_passes_then_continue(project: Project, ecs: EcsDouble) -> None:
    arn, events = run(project)
    assert events[-1].status is Status.SUCCEEDED
    assert ecs.called("ContinueServiceDeployment") == [
        {"serviceDeploymentArn": arn, "hookId": HOOK_ID, "action": "CONTINUE"}
    ]
    update = ecs.called("UpdateService")[0]
    settings = update["deploymentConfiguration"]
    assert settings["strategy"] == "CANARY"
    assert settings["canaryConfiguration"] == {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 5}
    assert settings["lifecycleHooks"][0]["targetType"] == "PAUSE"
    assert settings["lifecycleHooks"][0]["lifecycleStages"] == ["POST_TEST_TRAFFIC_SHIFT"]
    service = boto3.client("ecs").describe_services(cluster="prod", services=["web"])
    assert service["services"][0]["taskDefinition"] == update["taskDefinition"]
    done = {e.lifecycle_event for e in events if e.step_status is StepStatus.SUCCEEDED}
    assert set(LifecycleEvent) == done
    assert any(e.status is Status.READY for e in events if e.kind is EventKind.STATUS)


def test_gate_fails_rolls_back(project: Project, listener: Listener, ecs: EcsDouble) -> None:
    listener.status = 500
    arn, events = run(project)
    assert ecs.called("ContinueServiceDeployment") == [
        {"serviceDeploymentArn": arn, "hookId": HOOK_ID, "action": "ROLLBACK"}
    ]
    assert events[-1].status is Status.STOPPED
    assert any(e.kind is EventKind.ROLLBACK for e in events)


def test_scale_up_failure_shows_reason(project: Project, ecs: EcsDouble) -> None:
    ecs.plan.append(script.scale_up_fails)
    _, events = run(project)
    assert events[-1].status is Status.STOPPED
    rollback = [e for e in events if e.kind is EventKind.ROLLBACK]
    assert "CannotPullContainerError" in rollback[0].message
    assert not ecs.called("ContinueServiceDeployment")


def test_lambda_hook_failure_rolls_back(project: Project, ecs: EcsDouble) -> None:
    ecs.plan.append(script.lambda_hook_fails)
    _, events = run(project)
    assert events[-1].status is Status.STOPPED
    rollback = [e for e in events if e.kind is EventKind.ROLLBACK]
    assert script.LAMBDA_ARN in rollback[0].message
    assert "FAILED" in rollback[0].message


def test_active_deployment_blocks_a_second(project: Project, ecs: EcsDouble) -> None:
    platform = EcsPlatform(project)
    first = platform.deploy(DeployRequest(image=IMAGE))
    with pytest.raises(PlatformError, match=first) as caught:
        platform.deploy(DeployRequest(image=IMAGE))
    assert caught.value.exit_code == 4
    assert len(ecs.called("UpdateService")) == 1


def test_stop_status_history(project: Project, ecs: EcsDouble) -> None:
    platform = EcsPlatform(project)
    arn = platform.deploy(DeployRequest(image=IMAGE))
    assert platform.status().deployment_id == arn
    platform.stop(arn, rollback=True)
    events = list(platform.events(arn, follow=True))
    assert ecs.called("StopServiceDeployment") == [
        {"serviceDeploymentArn": arn, "stopType": "ROLLBACK"}
    ]
    assert events[-1].status is Status.STOPPED
    assert [h.status for h in platform.history()] == [Status.STOPPED]


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


def test_rollback_redeploys_what_the_last_success_replaced(
    project: Project, ecs: EcsDouble
) -> None:
    before = boto3.client("ecs").describe_services(cluster="prod", services=["web"])
    first = before["services"][0]["taskDefinition"]
    run(project)
    platform = EcsPlatform(project)
    arn = platform.rollback()
    assert ecs.called("UpdateService")[-1]["taskDefinition"] == first
    assert list(platform.events(arn, follow=True))[-1].status is Status.SUCCEEDED


def test_scale_up_stuck_past_install_timeout_is_stopped(project: Project, ecs: EcsDouble) -> None:
    ecs.plan.append(script.stuck_scale_up)
    arn, events = run(with_config(project, "deployment", install_timeout=0.2))
    assert ecs.called("StopServiceDeployment") == [
        {"serviceDeploymentArn": arn, "stopType": "ROLLBACK"}
    ]
    assert events[-1].status is Status.STOPPED
