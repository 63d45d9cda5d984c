"""The CLI on the AWS platforms: exit codes, output, the AWS CLI accepting
our revision document, and no credential ever printed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from bluegreen.cli.main import main
from bluegreen.spec.project import Project

from .codedeploy_double import CodeDeployDouble
from .conftest import ACCESS_KEY, IMAGE, SECRET_KEY, Listener


def bluegreen(*args: str) -> int:
    with pytest.raises(SystemExit) as done:
        main(list(args))
    return int(done.value.code or 0)


def deploy(project: Project, platform: str, *extra: str) -> int:
    return bluegreen("deploy", str(project.dir), "--platform", platform, "--image", IMAGE, *extra)


def test_missing_credentials_exit_4_with_message(
    project: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    assert deploy(project, "aws-codedeploy") == 4
    err = capsys.readouterr().err
    assert "no AWS credentials found" in err
    assert "Traceback" not in err


def test_missing_setting_exit_2_names_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from .conftest import write_project

    root = tmp_path / "bare"
    root.mkdir()
    project = write_project(root, None)
    config = (root / "bluegreen.toml").read_text().replace('cluster = "prod"\n', "")
    (root / "bluegreen.toml").write_text(config)
    assert deploy(project, "aws-ecs") == 2
    err = capsys.readouterr().err
    assert "aws.cluster" in err and "bluegreen.toml" in err


@pytest.mark.usefixtures("codedeploy_group")
def test_aws_cli_accepts_rendered_revision(
    project: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registered = boto3.client("ecs").register_task_definition(
        family="web", containerDefinitions=[{"name": "web", "image": IMAGE, "memory": 512}]
    )["taskDefinition"]["taskDefinitionArn"]
    assert (
        bluegreen(
            "render", str(project.dir), "--what", "revision", "--task-definition-arn", registered
        )
        == 0
    )
    revision = tmp_path / "revision.json"
    revision.write_text(capsys.readouterr().out)
    aws = [str(Path(sys.executable).parent / "aws"), "deploy"]
    created = subprocess.run(
        [
            *aws,
            "create-deployment",
            "--application-name=AppECS-prod-web",
            "--deployment-group-name=DgpECS-prod-web",
            f"--revision=file://{revision}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    deployment_id = json.loads(created.stdout)["deploymentId"]
    stored = boto3.client("codedeploy").get_deployment(deploymentId=deployment_id)
    sent = json.loads(revision.read_text())
    assert stored["deploymentInfo"]["revision"] == sent
    assert registered in sent["appSpecContent"]["content"]


@pytest.mark.usefixtures("codedeploy_group", "ecs_service")
def test_no_credentials_in_any_output(
    project: Project,
    listener: Listener,
    codedeploy: CodeDeployDouble,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("DEBUG", logger="bluegreen")
    deploy(project, "aws-codedeploy", "--output", "json")
    listener.status = 500
    deploy(project, "aws-codedeploy")
    bluegreen("status", str(project.dir), "--platform", "aws-codedeploy", "--output", "json")
    bluegreen("history", str(project.dir), "--platform", "aws-codedeploy")
    codedeploy.throttle["CreateDeployment"] = 1
    deploy(project, "aws-codedeploy")
    captured = capsys.readouterr()
    everything = captured.out + captured.err + caplog.text
    assert "deployment" in everything
    for secret in (ACCESS_KEY, SECRET_KEY, SECRET_KEY.split("/")[-1]):
        assert secret not in everything
