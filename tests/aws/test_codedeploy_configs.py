"""What `aws-codedeploy` sends besides the revision: a deployment config for
every kind of `[deployment] config` (made once from a table, checked when
named), auto-rollback only when bluegreen.toml says so, and the newest
deployment found wherever ListDeployments puts it."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from bluegreen.aws.codedeploy import CodeDeployPlatform
from bluegreen.engine.events import EventKind
from bluegreen.errors import SpecError, UsageError
from bluegreen.platform import DeployRequest
from bluegreen.spec.project import Project, load_project

from .codedeploy_double import CodeDeployDouble
from .conftest import IMAGE

pytestmark = pytest.mark.usefixtures("codedeploy_group")

DEFAULT = 'config = "CodeDeployDefault.ECSCanary10Percent5Minutes"'


def configured(project: Project, *lines: str) -> Project:
    """The project with `[deployment] config = ...` replaced by `lines`."""
    path = project.config_path
    path.write_text(path.read_text().replace(DEFAULT, "\n".join(lines)))
    return load_project(project.dir, env={})


def deploy(project: Project) -> str:
    return CodeDeployPlatform(project).deploy(DeployRequest(image=IMAGE))


def created(codedeploy: CodeDeployDouble) -> dict[str, Any]:
    return codedeploy.called("CreateDeployment")[-1]


def nothing_changed(codedeploy: CodeDeployDouble) -> bool:
    registered = boto3.client("ecs").list_task_definitions()["taskDefinitionArns"]
    return not registered and not codedeploy.called("CreateDeployment")


@pytest.mark.parametrize(
    ("table", "name", "routing"),
    [
        (
            '{ type = "canary", percent = 25, interval = "2m" }',
            "bluegreen.ECSCanary25Percent2Minutes",
            {
                "type": "TimeBasedCanary",
                "timeBasedCanary": {"canaryPercentage": 25, "canaryInterval": 2},
            },
        ),
        (
            '{ type = "linear", percent = 20, interval = "180s" }',
            "bluegreen.ECSLinear20PercentEvery3Minutes",
            {
                "type": "TimeBasedLinear",
                "timeBasedLinear": {"linearPercentage": 20, "linearInterval": 3},
            },
        ),
        (
            '{ type = "all_at_once", name = "AtOnceForWeb" }',
            "AtOnceForWeb",
            {"type": "AllAtOnce"},
        ),
    ],
)
def test_a_table_becomes_a_deployment_config_made_once(
    project: Project, codedeploy: CodeDeployDouble, table: str, name: str, routing: dict[str, Any]
) -> None:
    project = configured(project, f"config = {table}")
    deploy(project)
    codedeploy.scripts.clear()  # the first has ended: the group's slot is free
    deploy(project)
    assert codedeploy.called("CreateDeploymentConfig")[0] == {
        "deploymentConfigName": name,
        "computePlatform": "ECS",
        "trafficRoutingConfig": routing,
    }
    assert len(codedeploy.configs) == 1
    assert [c["deploymentConfigName"] for c in codedeploy.called("CreateDeployment")] == [name] * 2


def test_a_table_like_a_predefined_config_uses_its_name(
    project: Project, codedeploy: CodeDeployDouble
) -> None:
    deploy(configured(project, 'config = { type = "linear", percent = 10, interval = "3m" }'))
    assert created(codedeploy)["deploymentConfigName"] == (
        "CodeDeployDefault.ECSLinear10PercentEvery3Minutes"
    )
    assert not codedeploy.called("CreateDeploymentConfig")


def test_a_config_of_that_name_that_shifts_otherwise_is_refused(
    project: Project, codedeploy: CodeDeployDouble
) -> None:
    codedeploy.configs["bluegreen.ECSCanary25Percent2Minutes"] = {
        "deploymentConfigName": "bluegreen.ECSCanary25Percent2Minutes",
        "computePlatform": "ECS",
        "trafficRoutingConfig": {"type": "AllAtOnce"},
    }
    project = configured(project, 'config = { type = "canary", percent = 25, interval = "2m" }')
    with pytest.raises(UsageError, match="already exists with trafficRoutingConfig"):
        deploy(project)
    assert nothing_changed(codedeploy)


def test_an_interval_of_seconds_is_refused_naming_the_field(
    project: Project, codedeploy: CodeDeployDouble
) -> None:
    project = configured(project, 'config = { type = "canary", percent = 10, interval = "90s" }')
    with pytest.raises(SpecError) as caught:
        deploy(project)
    assert caught.value.exit_code == 2
    assert [p.field for p in caught.value.problems] == ["deployment.config.interval"]
    assert "1m30s" in str(caught.value) or "90s" in str(caught.value)
    assert nothing_changed(codedeploy) and not codedeploy.called("CreateDeploymentConfig")


def test_a_named_config_of_the_users_is_checked_to_exist(
    project: Project, codedeploy: CodeDeployDouble
) -> None:
    project = configured(project, 'config = "Canary5PercentForWeb"')
    with pytest.raises(SpecError, match="no deployment config 'Canary5PercentForWeb'") as caught:
        deploy(project)
    assert caught.value.exit_code == 2
    assert nothing_changed(codedeploy)
    codedeploy.configs["Canary5PercentForWeb"] = {
        "deploymentConfigName": "Canary5PercentForWeb",
        "computePlatform": "ECS",
        "trafficRoutingConfig": {"type": "AllAtOnce"},
    }
    deploy(project)
    assert created(codedeploy)["deploymentConfigName"] == "Canary5PercentForWeb"
    assert not codedeploy.called("CreateDeploymentConfig")


def rollback_notes(project: Project, *lines: str) -> list[str]:
    """Deploy with `lines` added to [deployment] and follow: the notes shown."""
    platform = CodeDeployPlatform(configured(project, DEFAULT, *lines))
    deployment_id = platform.deploy(DeployRequest(image=IMAGE))
    events = platform.events(deployment_id, follow=True)
    return [e.message for e in events if e.kind is EventKind.MESSAGE]


def test_auto_rollback_absent_leaves_the_groups_setting(
    project: Project, codedeploy: CodeDeployDouble
) -> None:
    notes = rollback_notes(project)
    assert "autoRollbackConfiguration" not in created(codedeploy)
    assert any("DgpECS-prod-web's setting applies" in line for line in notes)


def test_auto_rollback_empty_turns_it_off_and_says_so(
    project: Project, codedeploy: CodeDeployDouble
) -> None:
    notes = rollback_notes(project, "auto_rollback = []")
    assert created(codedeploy)["autoRollbackConfiguration"] == {"enabled": False}
    assert any("off for this deployment" in line for line in notes)


def test_auto_rollback_listed_overrides_the_group(
    project: Project, codedeploy: CodeDeployDouble
) -> None:
    rollback_notes(project, 'auto_rollback = ["DEPLOYMENT_FAILURE"]')
    assert created(codedeploy)["autoRollbackConfiguration"] == {
        "enabled": True,
        "events": ["DEPLOYMENT_FAILURE"],
    }


def test_newest_deployment_is_found_on_any_page(
    project: Project, codedeploy: CodeDeployDouble
) -> None:
    client = boto3.client("codedeploy")  # no double: moto alone, which has no slot limit
    revision = {"revisionType": "AppSpecContent", "appSpecContent": {"content": "{}"}}
    made = [
        client.create_deployment(
            applicationName="AppECS-prod-web",
            deploymentGroupName="DgpECS-prod-web",
            revision=revision,
        )["deploymentId"]
        for _ in range(101)
    ]

    def oldest_first(params: dict[str, Any]) -> dict[str, Any]:
        start = int(params.get("nextToken") or 0)
        page: dict[str, Any] = {"deployments": made[start : start + 40]}
        if start + 40 < len(made):
            page["nextToken"] = str(start + 40)
        return page

    codedeploy.handlers["ListDeployments"] = oldest_first
    assert CodeDeployPlatform(project).status().deployment_id == made[-1]
