"""aws-codedeploy against moto (task definitions, applications, groups,
create/get deployment) plus the progression double for what moto lacks."""

from __future__ import annotations

import hashlib
import json

import boto3
import pytest

from bluegreen.aws.codedeploy import CodeDeployPlatform
from bluegreen.engine.events import ALL_BLUE, Event, EventKind
from bluegreen.errors import PlatformError, SpecError, UsageError
from bluegreen.images.pushed import record_pushed
from bluegreen.platform import DeployRequest
from bluegreen.spec.project import Project
from bluegreen.vocabulary import LifecycleEvent, Status, StepStatus

from . import codedeploy_double as script
from .codedeploy_double import CodeDeployDouble
from .conftest import IMAGE, Listener, deploy_and_follow, with_config

pytestmark = pytest.mark.usefixtures("codedeploy_group")


def run(project: Project, **request: object) -> tuple[str, list[Event]]:
    return deploy_and_follow(CodeDeployPlatform(project), **request)


def last_status(events: list[Event]) -> Status:
    return events[-1].status


def test_gate_passes_then_continue_to_success(
    project: Project, codedeploy: CodeDeployDouble
) -> None:
    deployment_id, events = run(project)
    assert last_status(events) is Status.SUCCEEDED
    assert codedeploy.called("ContinueDeployment") == [
        {"deploymentId": deployment_id, "deploymentWaitType": "READY_WAIT"}
    ]
    assert not codedeploy.called("StopDeployment")
    validation = [e for e in events if e.kind is EventKind.VALIDATION]
    assert validation[-1].details["result"] == "passed"
    weights = [e.weights.green for e in events if e.kind is EventKind.TRAFFIC and e.weights]
    assert weights == [0, 10, 100]
    done = [e.lifecycle_event for e in events if e.step_status is StepStatus.SUCCEEDED]
    assert done == list(LifecycleEvent)


def test_revision_carries_sha256_of_exact_content(
    project: Project, codedeploy: CodeDeployDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI_COMMIT_SHA", "0123abcd")
    monkeypatch.setenv("CI_PIPELINE_URL", "https://gitlab.example/p/-/pipelines/7")
    codedeploy.plan.append(script.no_gate)
    deployment_id, _ = run(project, description="release v2")
    info = boto3.client("codedeploy").get_deployment(deploymentId=deployment_id)["deploymentInfo"]
    content = info["revision"]["appSpecContent"]["content"]
    assert (
        info["revision"]["appSpecContent"]["sha256"] == hashlib.sha256(content.encode()).hexdigest()
    )
    task_definition = json.loads(content)["Resources"][0]["TargetService"]["Properties"]
    registered = boto3.client("ecs").describe_task_definition(
        taskDefinition=task_definition["TaskDefinition"]
    )["taskDefinition"]
    assert registered["containerDefinitions"][0]["image"] == IMAGE
    assert info["description"] == (
        "release v2; commit 0123abcd; pipeline https://gitlab.example/p/-/pipelines/7"
    )


def test_gate_fails_stops_with_rollback(
    project: Project, listener: Listener, codedeploy: CodeDeployDouble
) -> None:
    listener.status = 503
    deployment_id, events = run(project)
    assert codedeploy.called("StopDeployment") == [
        {"deploymentId": deployment_id, "autoRollbackEnabled": True}
    ]
    assert not codedeploy.called("ContinueDeployment")
    assert last_status(events) is Status.STOPPED
    rollback = [e for e in events if e.kind is EventKind.ROLLBACK]
    assert "production is back on blue" in rollback[-1].message
    assert [e.weights for e in rollback if e.weights][-1] == ALL_BLUE
    assert any("503" in e.message for e in events if e.kind is EventKind.VALIDATION)


def test_install_failure_shows_diagnostics(project: Project, codedeploy: CodeDeployDouble) -> None:
    codedeploy.plan.append(script.install_fails)
    _, events = run(project)
    assert last_status(events) is Status.FAILED
    failed = [e for e in events if e.step_status is StepStatus.FAILED]
    assert failed[0].lifecycle_event is LifecycleEvent.INSTALL
    assert "CannotPullContainerError" in failed[0].message
    final = [e for e in events if e.kind is EventKind.STATUS][-1]
    assert "ECS_UPDATE_ERROR" in final.message


def test_hook_failure_rolls_back(project: Project, codedeploy: CodeDeployDouble) -> None:
    codedeploy.plan.append(script.hook_fails)
    _, events = run(project)
    failed = [e for e in events if e.step_status is StepStatus.FAILED]
    assert failed[0].lifecycle_event is LifecycleEvent.AFTER_INSTALL
    assert "CodeDeployHook_web_check" in failed[0].message
    assert last_status(events) is Status.FAILED
    assert events[-1].kind is EventKind.ROLLBACK


def test_limit_exceeded_names_active_deployment(
    project: Project, codedeploy: CodeDeployDouble
) -> None:
    platform = CodeDeployPlatform(project)
    first = platform.deploy(DeployRequest(image=IMAGE))
    with pytest.raises(PlatformError, match=first) as caught:
        platform.deploy(DeployRequest(image=IMAGE))
    assert caught.value.exit_code == 4
    assert "--wait-for-slot" in str(caught.value)


def test_wait_for_slot_deploys_after_the_active_one(
    project: Project, codedeploy: CodeDeployDouble
) -> None:
    codedeploy.plan += [script.no_gate, script.no_gate]
    platform = CodeDeployPlatform(project)
    first = platform.deploy(DeployRequest(image=IMAGE))
    second = platform.deploy(DeployRequest(image=IMAGE, wait_for_slot=True))
    assert second != first
    assert platform.status(first).status is Status.SUCCEEDED


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


def test_status_history_and_stop(project: Project, codedeploy: CodeDeployDouble) -> None:
    platform = CodeDeployPlatform(project)
    deployment_id = platform.deploy(DeployRequest(image=IMAGE))
    platform.events(deployment_id, follow=False)
    for _ in range(6):
        platform.snapshot(deployment_id)
    assert platform.status().status is Status.READY
    platform.stop(rollback=True)
    list(platform.events(deployment_id, follow=True))
    history = platform.history()
    assert [h.deployment_id for h in history][-1] == deployment_id
    assert history[-1].status is Status.STOPPED
    assert history[0].rollback_of == deployment_id
    assert history[-1].revision.startswith("web:")


def test_rollback_redeploys_the_previous_good_revision(
    project: Project, codedeploy: CodeDeployDouble
) -> None:
    codedeploy.plan += [script.no_gate, script.no_gate, script.no_gate, script.no_gate]
    platform = CodeDeployPlatform(project)
    first, _ = deploy_and_follow(platform)
    deploy_and_follow(platform, image=IMAGE.replace(":v2", ":v3"))
    again = platform.rollback()
    list(platform.events(again, follow=True))
    revisions = [platform.status(d).revision for d in (first, again)]
    assert revisions[0] == revisions[1]
    assert platform.status(again).status is Status.SUCCEEDED
    named = platform.rollback(revisions[0])
    assert platform.status(named).revision == revisions[0]


def test_a_second_follower_leaves_ready_alone(
    project: Project, codedeploy: CodeDeployDouble
) -> None:
    platform = CodeDeployPlatform(project)
    deployment_id = platform.deploy(DeployRequest(image=IMAGE))
    while platform.snapshot(deployment_id).status is not Status.READY:
        pass
    ready = platform.snapshot(deployment_id)
    platform.continue_deployment(deployment_id)
    platform.resume(ready)  # too late, someone else continued: not an error
    assert list(platform.events(deployment_id, follow=True))[-1].status is Status.SUCCEEDED
    assert len(codedeploy.called("ContinueDeployment")) == 2


def test_install_stuck_past_install_timeout_is_stopped(
    project: Project, codedeploy: CodeDeployDouble
) -> None:
    codedeploy.plan.append(script.stuck_install)
    deployment_id, events = run(with_config(project, "deployment", install_timeout=0.2))
    assert codedeploy.called("StopDeployment") == [
        {"deploymentId": deployment_id, "autoRollbackEnabled": True}
    ]
    assert any("Install still in progress" in e.message for e in events)
    assert events[-1].status is Status.STOPPED


def test_group_that_does_not_wait_is_refused_before_anything_changes(
    project: Project, codedeploy: CodeDeployDouble
) -> None:
    boto3.client("codedeploy").create_deployment_group(
        applicationName="AppECS-prod-web",
        deploymentGroupName="reroutes-at-once",
        serviceRoleArn="arn:aws:iam::123456789012:role/codedeploy",
        blueGreenDeploymentConfiguration={
            "deploymentReadyOption": {"actionOnTimeout": "CONTINUE_DEPLOYMENT"}
        },
    )
    project = with_config(project, "aws", codedeploy_group="reroutes-at-once")
    with pytest.raises(UsageError, match="STOP_DEPLOYMENT") as caught:
        CodeDeployPlatform(project).deploy(DeployRequest(image=IMAGE))
    assert caught.value.exit_code == 2
    assert not boto3.client("ecs").list_task_definitions()["taskDefinitionArns"]
    assert not codedeploy.called("CreateDeployment")


def test_without_image_deploys_what_bluegreen_push_pushed_last(
    project: Project, codedeploy: CodeDeployDouble
) -> None:
    pushed = IMAGE.replace(":v2", ":pushed")
    record_pushed(project.dir, pushed)
    codedeploy.plan.append(script.no_gate)
    deployment_id, _ = run(project, image=None)
    info = boto3.client("codedeploy").get_deployment(deploymentId=deployment_id)["deploymentInfo"]
    content = json.loads(info["revision"]["appSpecContent"]["content"])
    arn = content["Resources"][0]["TargetService"]["Properties"]["TaskDefinition"]
    registered = boto3.client("ecs").describe_task_definition(taskDefinition=arn)["taskDefinition"]
    assert registered["containerDefinitions"][0]["image"] == pushed


def test_without_image_or_a_push_the_error_says_how_to_give_one(project: Project) -> None:
    with pytest.raises(SpecError, match=r"--image URI \(or run `bluegreen push` first\)"):
        CodeDeployPlatform(project).deploy(DeployRequest())
