"""Durations AWS holds differently from bluegreen.toml are said, too long
ones refused, and a deployment group whose waits differ is refused before
anything changes: CodeDeploy takes its waits from the group, not the call."""

from __future__ import annotations

import boto3
import pytest

from bluegreen.aws.codedeploy import CodeDeployPlatform
from bluegreen.aws.ecs_native import EcsPlatform
from bluegreen.aws.template import build_template
from bluegreen.errors import SpecError, UsageError
from bluegreen.platform import DeployRequest
from bluegreen.spec.deployment_config import resolve_config
from bluegreen.spec.project import Project

from .codedeploy_double import CodeDeployDouble
from .conftest import IMAGE, with_config


def test_template_says_which_durations_aws_rounds(project: Project) -> None:
    project = with_config(project, "health_check", interval=1.0, timeout=0.5)
    project = with_config(project, "deployment", termination_wait=10.0)
    notes: list[str] = []
    resources = build_template(project.config, "codedeploy", notes)["Resources"]
    group = resources["TargetGroupBlue"]["Properties"]
    assert (group["HealthCheckIntervalSeconds"], group["HealthCheckTimeoutSeconds"]) == (5, 2)
    waits = resources["DeploymentGroup"]["Properties"]["BlueGreenDeploymentConfiguration"]
    assert waits["TerminateBlueInstancesOnDeploymentSuccess"]["TerminationWaitTimeInMinutes"] == 1
    assert notes == [
        "note: health_check.interval = 1s runs on AWS as HealthCheckIntervalSeconds 5 (5s), "
        "the nearest value it takes",
        "note: health_check.timeout = 500ms runs on AWS as HealthCheckTimeoutSeconds 2 (2s), "
        "the nearest value it takes",
        "note: deployment.termination_wait = 10s runs on AWS as "
        "terminateBlueInstancesOnDeploymentSuccess.terminationWaitTimeInMinutes 1 (1m), "
        "the nearest value it takes",
    ]


def test_exact_durations_make_no_note(project: Project) -> None:
    project = with_config(project, "health_check", interval=10.0, timeout=5.0)
    project = with_config(project, "deployment", termination_wait=300.0, ready_wait=0.0)
    notes: list[str] = []
    build_template(project.config, "ecs", notes)
    assert notes == []


@pytest.mark.parametrize(
    ("section", "field", "value", "controller", "expected"),
    [
        ("deployment", "termination_wait", 3 * 86400.0, "codedeploy", "at most"),
        ("deployment", "termination_wait", 2 * 86400.0, "ecs", "bakeTimeInMinutes"),
        ("health_check", "interval", 600.0, "codedeploy", "HealthCheckIntervalSeconds"),
    ],
)
def test_a_duration_over_what_aws_takes_is_refused_naming_the_field(
    project: Project, section: str, field: str, value: float, controller: str, expected: str
) -> None:
    project = with_config(project, section, **{field: value})
    with pytest.raises(SpecError, match=expected) as caught:
        build_template(project.config, controller, [])
    assert f"{section}.{field}" in str(caught.value)
    assert caught.value.exit_code == 2


def test_a_timeout_alb_would_refuse_is_refused_here(project: Project) -> None:
    project = with_config(project, "health_check", interval=5.0, timeout=5.0)
    with pytest.raises(SpecError, match=r"health_check\.timeout.*shorter than the interval"):
        build_template(project.config, "codedeploy", [])


def test_a_short_ready_wait_raised_for_the_gate_is_said(project: Project) -> None:
    project = with_config(project, "deployment", ready_wait=60.0)
    notes: list[str] = []
    build_template(project.config, "codedeploy", notes)
    assert any("deployment.ready_wait = 1m is raised on AWS" in note for note in notes), notes


def test_a_group_whose_termination_wait_differs_is_refused_before_anything_changes(
    project: Project, codedeploy: CodeDeployDouble, codedeploy_group: None
) -> None:
    """The group waits 5 minutes; bluegreen.toml asks for 1 hour."""
    project = with_config(project, "deployment", termination_wait=3600.0)
    with pytest.raises(UsageError, match="waits 5 min before terminating blue") as caught:
        CodeDeployPlatform(project).deploy(DeployRequest(image=IMAGE))
    assert "deployment.termination_wait 60" in str(caught.value)
    assert caught.value.exit_code == 2
    assert not boto3.client("ecs").list_task_definitions()["taskDefinitionArns"]
    assert not codedeploy.called("CreateDeployment")


def test_a_group_that_waits_in_ready_less_than_the_gate_needs_is_refused(
    project: Project, codedeploy: CodeDeployDouble, codedeploy_group: None
) -> None:
    """The group waits 30 minutes in Ready; the gate may take an hour."""
    project = with_config(project, "validation", deadline=3600.0)
    with pytest.raises(UsageError, match="waits 30 min in Ready, less than"):
        CodeDeployPlatform(project).deploy(DeployRequest(image=IMAGE))
    assert not codedeploy.called("CreateDeployment")


@pytest.mark.usefixtures("ecs_service")
def test_ecs_says_when_the_bake_time_is_rounded(project: Project) -> None:
    all_at_once = resolve_config("CodeDeployDefault.ECSAllAtOnce")
    project = with_config(project, "deployment", termination_wait=90.0, config=all_at_once)
    platform = EcsPlatform(project)
    settings = platform.deployment_configuration(all_at_once)
    assert settings["bakeTimeInMinutes"] == 2
    assert any("deployment.termination_wait = 90s" in note for note in platform.notes)
