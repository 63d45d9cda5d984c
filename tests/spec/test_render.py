"""Rendering the task definition and the AppSpec revision."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import botocore.session
import pytest
from botocore.validate import ParamValidator

from bluegreen.errors import SpecError
from bluegreen.spec.appspec import render_appspec
from bluegreen.spec.project import load_project
from bluegreen.spec.task_definition import TaskDefinition
from bluegreen.spec.taskdef import render_taskdef

from .helpers import EXAMPLE, IMAGE

ARN = "arn:aws:ecs:us-east-1:123456789012:task-definition/flask-app:7"


def botocore_errors(taskdef: dict) -> str:
    model = botocore.session.get_session().get_service_model("ecs")
    shape = model.operation_model("RegisterTaskDefinition").input_shape
    return ParamValidator().validate(taskdef, shape).generate_report()


def write_taskdef(app_dir: Path, **changes: object) -> None:
    path = app_dir / "taskdef.json"
    data = json.loads(path.read_text())
    data["containerDefinitions"][0].update(changes)
    path.write_text(json.dumps(data))


def test_rendered_example_is_accepted_by_botocore():
    taskdef = render_taskdef(load_project(EXAMPLE, env={}), image=IMAGE, env={})
    assert botocore_errors(taskdef) == ""
    assert taskdef["containerDefinitions"][0]["image"] == IMAGE
    role = "arn:aws:iam::123456789012:role/bluegreen-flask-app-TaskExecutionRole-EXAMPLE"
    assert taskdef["executionRoleArn"] == role  # aws.execution_role_arn
    options = taskdef["containerDefinitions"][0]["logConfiguration"]["options"]
    assert options["awslogs-group"] == "/ecs/bluegreen-flask-app"  # aws.log_group
    assert "<" not in json.dumps(taskdef)


def test_set_values_and_environment_fill_placeholders(app_dir: Path):
    write_taskdef(
        app_dir,
        environment=[
            {"name": "A", "value": "<RELEASE>"},
            {"name": "B", "value": "${FROM_ENV}"},
            {"name": "C", "value": "${MISSING:-fallback}"},
            {"name": "D", "value": "$${KEPT} and <lower> stay"},
        ],
    )
    project = load_project(app_dir, env={})
    taskdef = render_taskdef(
        project, image=IMAGE, set_values={"RELEASE": "r1"}, env={"FROM_ENV": "e1"}
    )
    container = TaskDefinition.from_document(taskdef).container(project.config.service.container)
    values = [pair.value for pair in container.environment]
    assert values == ["r1", "e1", "fallback", "${KEPT} and <lower> stay"]


def test_set_value_wins_over_environment(app_dir: Path):
    write_taskdef(app_dir, environment=[{"name": "B", "value": "${X}"}])
    taskdef = render_taskdef(
        load_project(app_dir, env={}), image=IMAGE, set_values={"X": "set"}, env={"X": "env"}
    )
    assert taskdef["containerDefinitions"][0]["environment"][0]["value"] == "set"


def test_local_defaults_render_without_aws_values(app_dir: Path):
    config = app_dir / "bluegreen.toml"
    lines = config.read_text().splitlines(keepends=True)
    config.write_text("".join(line for line in lines if "execution_role_arn" not in line))
    taskdef = render_taskdef(load_project(app_dir, env={}), env={}, local_defaults=True)
    assert taskdef["containerDefinitions"][0]["image"] == "local/flask-app:dev"
    assert taskdef["executionRoleArn"] == "<EXECUTION_ROLE_ARN>"
    with pytest.raises(SpecError) as caught:
        render_taskdef(load_project(app_dir, env={}), image=IMAGE, env={})
    assert [p.field for p in caught.value.problems] == ["executionRoleArn"]
    assert "aws.execution_role_arn" in caught.value.problems[0].message


def test_describe_task_definition_output_can_be_pasted(app_dir: Path):
    path = app_dir / "taskdef.json"
    data = json.loads(path.read_text())
    data.update(taskDefinitionArn=ARN, revision=7, status="ACTIVE", registeredAt="2026-01-01")
    path.write_text(json.dumps(data))
    taskdef = render_taskdef(load_project(app_dir, env={}), image=IMAGE, env={})
    assert "revision" not in taskdef and botocore_errors(taskdef) == ""
    path.write_text(json.dumps({"taskDefinition": data, "tags": [{"key": "a", "value": "b"}]}))
    wrapped = render_taskdef(load_project(app_dir, env={}), image=IMAGE, env={})
    assert wrapped == {**taskdef, "tags": [{"key": "a", "value": "b"}]}


def test_revision_hashes_exactly_its_content():
    revision = render_appspec(load_project(EXAMPLE, env={}), ARN)
    assert revision.sha256 == hashlib.sha256(revision.content.encode()).hexdigest()
    document = json.loads(revision.content)
    target = document["Resources"][0]["TargetService"]["Properties"]
    assert target["TaskDefinition"] == ARN
    assert target["LoadBalancerInfo"] == {"ContainerName": "web", "ContainerPort": 8000}
    assert revision.to_codedeploy() == {
        "revisionType": "AppSpecContent",
        "appSpecContent": {"content": revision.content, "sha256": revision.sha256},
    }


def test_revision_is_accepted_by_the_codedeploy_model():
    revision = render_appspec(load_project(EXAMPLE, env={}), ARN)
    model = botocore.session.get_session().get_service_model("codedeploy")
    shape = model.operation_model("CreateDeployment").input_shape
    params = {"applicationName": "a", "revision": revision.to_codedeploy()}
    assert ParamValidator().validate(params, shape).generate_report() == ""


def test_revision_keeps_hooks_and_differs_per_arn(app_dir: Path):
    path = app_dir / "appspec.yaml"
    path.write_text(path.read_text() + "Hooks:\n  - AfterAllowTestTraffic: smoke-fn\n")
    project = load_project(app_dir, env={})
    first, second = render_appspec(project, ARN), render_appspec(project, ARN + "0")
    assert json.loads(first.content)["Hooks"] == [{"AfterAllowTestTraffic": "smoke-fn"}]
    assert project.appspec.hook_functions() == {"AfterAllowTestTraffic": "smoke-fn"}
    assert first.sha256 != second.sha256
