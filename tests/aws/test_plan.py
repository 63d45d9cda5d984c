"""`plan` on AWS against moto: the service's live task definition, as ECS
answers it (ARNs, revision, defaults filled in), compared with the one a
deploy would register, and what the deploy would refuse, said first."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from bluegreen.aws.codedeploy import CodeDeployPlatform
from bluegreen.aws.ecs_native import EcsPlatform
from bluegreen.plan import build_plan
from bluegreen.platform import DeployRequest
from bluegreen.spec.project import Project

from .conftest import IMAGE, Alb, create_codedeploy_group, with_config

pytestmark = pytest.mark.usefixtures("ecs_service")


def serve(platform: Any, image: str) -> None:
    """Make the service run what a deploy of `image` would register."""
    taskdef = platform.proposed_taskdef(DeployRequest(image=image))
    arn = boto3.client("ecs").register_task_definition(**taskdef)["taskDefinition"]
    boto3.client("ecs").update_service(
        cluster="prod", service="web", taskDefinition=arn["taskDefinitionArn"]
    )


def test_an_unchanged_service_plans_no_change_despite_what_ecs_fills_in(project: Project) -> None:
    platform = EcsPlatform(project)
    serve(platform, IMAGE)
    plan = build_plan(project, "aws-ecs", platform.live(DeployRequest(image=IMAGE)))
    assert plan.live_revision == "web:2"
    assert (plan.taskdef, plan.changes) == ([], False)


def test_a_new_image_is_the_one_change(project: Project) -> None:
    platform = EcsPlatform(project)
    serve(platform, IMAGE)
    other = IMAGE.replace(":v2", ":v3")
    plan = build_plan(project, "aws-ecs", platform.live(DeployRequest(image=other)))
    assert [(c.field, c.before, c.after) for c in plan.taskdef] == [("web.image", IMAGE, other)]
    assert plan.changes


def test_what_codedeploy_would_refuse_is_in_the_plan(project: Project, alb: Alb) -> None:
    create_codedeploy_group(alb)
    project = with_config(project, "deployment", termination_wait=3600.0)
    live = CodeDeployPlatform(project).live(DeployRequest(image=IMAGE))
    assert len(live.refusals) == 1
    assert "waits 5 min before terminating blue" in live.refusals[0]
    assert not boto3.client("codedeploy").list_deployments()["deployments"]
