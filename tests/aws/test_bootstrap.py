"""`bluegreen aws bootstrap` against moto's CloudFormation in server mode: the
settings it prints are what the task definitions read, a re-run with a
changed task definition leaves the service's revision alone, and the first
revision answers the target group's health check (with a real nginx)."""

from __future__ import annotations

import json
import subprocess
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
import yaml

from bluegreen.aws.template import build_template
from bluegreen.cli.main import main
from bluegreen.spec.project import Project, load_project
from bluegreen.spec.scaffold import Guess, scaffold
from bluegreen.spec.taskdef import render_taskdef

from ..ci.harness import tool
from ..packaging import free_port
from .conftest import IMAGE, with_config

pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse:UserWarning")


@pytest.fixture
def network() -> list[str]:
    """`--vpc` and `--subnets` for a fresh VPC with a subnet in two AZs."""
    ec2 = boto3.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"us-east-1{z}")[
            "Subnet"
        ]["SubnetId"]
        for i, z in ((1, "a"), (2, "b"))
    ]
    return ["--vpc", vpc, "--subnets", ",".join(subnets)]


def bootstrap(directory: Path, capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    """Run `bluegreen aws bootstrap`; the [aws] table it printed."""
    with pytest.raises(SystemExit) as done:
        main(["aws", "bootstrap", str(directory), *args])
    captured = capsys.readouterr()
    assert done.value.code == 0, captured.err
    return tomllib.loads(captured.out)["aws"]


def stack_resource(logical_id: str, stack: str = "bluegreen-web") -> str:
    detail = boto3.client("cloudformation").describe_stack_resource(
        StackName=stack, LogicalResourceId=logical_id
    )["StackResourceDetail"]
    return str(detail["PhysicalResourceId"])


def service_task_definition(stack: str = "bluegreen-web") -> str:
    """The Service's TaskDefinition property as CloudFormation resolves it from
    the stack's stored template and parameters (Ref and Fn::If over an
    Fn::Equals condition, all this template uses there)."""
    cloudformation = boto3.client("cloudformation")
    template = yaml.safe_load(cloudformation.get_template(StackName=stack)["TemplateBody"])
    described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in described["Parameters"]}

    def resolve(value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        if "Ref" in value:
            name = value["Ref"]
            return parameters[name] if name in parameters else stack_resource(name, stack)
        condition, then, otherwise = value["Fn::If"]
        left, right = template["Conditions"][condition]["Fn::Equals"]
        return resolve(then if resolve(left) == resolve(right) else otherwise)

    return str(resolve(template["Resources"]["Service"]["Properties"]["TaskDefinition"]))


def test_bootstrap_creates_stack_and_prints_settings(
    project: Project, capsys: pytest.CaptureFixture[str], network: list[str]
) -> None:
    settings = bootstrap(project.dir, capsys, *network)
    assert (settings["cluster"], settings["service"]) == ("prod", "web")
    assert settings["ecr_repository"] == "web"
    assert settings["test_listener_url"].endswith(":8080")
    stack = boto3.client("cloudformation").describe_stacks(StackName="bluegreen-web")
    assert stack["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    services = boto3.client("ecs").describe_services(cluster="prod", services=["web"])
    assert services["services"][0]["desiredCount"] == 2  # moto's CloudFormation: no controller


def test_printed_settings_fill_the_scaffolded_taskdef(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], network: list[str]
) -> None:
    """The [aws] table bootstrap prints, put in place of the scaffolded one,
    gives the task definition the stack's execution role and log group."""
    guess = Guess(name="web", container="web", port=8000, health_path="/health")
    scaffold(tmp_path, guess=guess)
    settings = bootstrap(tmp_path, capsys, *network)
    config = tmp_path / "bluegreen.toml"
    scaffolded = config.read_text()
    printed = "[aws]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in settings.items())
    config.write_text(scaffolded[: scaffolded.index("[aws]")] + printed)
    taskdef = render_taskdef(load_project(tmp_path, env={}), image=IMAGE, env={})
    role = boto3.client("iam").get_role(
        RoleName=stack_resource("TaskExecutionRole", "bluegreen-web")
    )
    assert taskdef["executionRoleArn"] == role["Role"]["Arn"]
    options = taskdef["containerDefinitions"][0]["logConfiguration"]["options"]
    groups = boto3.client("logs").describe_log_groups()["logGroups"]
    assert options["awslogs-group"] in [group["logGroupName"] for group in groups]
    assert "awslogs-create-group" not in options


def test_write_puts_the_settings_into_bluegreen_toml_in_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], network: list[str]
) -> None:
    """--write replaces the [aws] table: the stack's keys in, the user's other
    keys and every other table and comment kept; the project then loads."""
    guess = Guess(name="web", container="web", port=8000, health_path="/health")
    scaffold(tmp_path, guess=guess)
    config = tmp_path / "bluegreen.toml"
    mine = '[aws]\n# where it runs\naccount_id = "123456789012"  # ours\n'
    before = config.read_text().replace("[aws]\n", mine, 1)
    before += '\n[hooks]   # a table after [aws], with a comment\nAfterInstall = "true"\n'
    config.write_text(before)
    with pytest.raises(SystemExit) as done:
        main(["aws", "bootstrap", str(tmp_path), *network, "--write"])
    captured = capsys.readouterr()
    assert done.value.code == 0, captured.err
    assert f"wrote the [aws] table in {config}" in captured.err
    after = config.read_text()
    written = tomllib.loads(after)
    assert written["aws"]["account_id"] == "123456789012"
    assert written["aws"]["execution_role_arn"].startswith("arn:aws:iam::")
    assert written["aws"]["log_group"] and written["aws"]["cluster"]
    old = tomllib.loads(before)
    assert {k: v for k, v in written.items() if k != "aws"} == {
        k: v for k, v in old.items() if k != "aws"
    }
    assert "# a table after [aws], with a comment" in after
    assert '# where it runs\naccount_id = "123456789012"  # ours\n' in after
    assert before[: before.index("[aws]")] == after[: after.index("[aws]")]
    project = load_project(tmp_path, env={})
    assert project.config.aws.execution_role_arn == written["aws"]["execution_role_arn"]


def test_rerun_with_a_changed_task_definition_keeps_the_service_revision(
    project: Project, capsys: pytest.CaptureFixture[str], network: list[str]
) -> None:
    """A CODE_DEPLOY service refuses a task definition update, so a re-run
    whose task definition changed must not ask for one. moto's CloudFormation
    never updates a service's task definition, so this resolves the property
    from the template and parameters each run left in the stack."""
    bootstrap(project.dir, capsys, *network)
    first = stack_resource("TaskDefinition")
    assert service_task_definition() == first
    bootstrap(project.dir, capsys, *network, "--image", IMAGE)
    assert stack_resource("TaskDefinition") != first
    assert service_task_definition() == first
    bootstrap(project.dir, capsys, *network)
    assert service_task_definition() == first
    stack = boto3.client("cloudformation").describe_stacks(StackName="bluegreen-web")["Stacks"][0]
    assert stack["StackStatus"] == "UPDATE_COMPLETE"


def test_another_first_image_keeps_its_own_command(
    project: Project, capsys: pytest.CaptureFixture[str], network: list[str]
) -> None:
    bootstrap(project.dir, capsys, *network, "--image", IMAGE)
    ecs = boto3.client("ecs")
    revision = ecs.describe_task_definition(taskDefinition=stack_resource("TaskDefinition"))
    container = revision["taskDefinition"]["containerDefinitions"][0]
    assert container["image"] == IMAGE
    assert not container.get("command")


def test_first_revision_answers_the_target_group_check(project: Project, tmp_path: Path) -> None:
    """The default first image's command, run by a real nginx: the target
    group's check (container port, health path, matcher) passes."""
    port = free_port()
    config = with_config(project, "service", container_port=port).config
    resources = build_template(config, "codedeploy")["Resources"]
    group = resources["TargetGroupBlue"]["Properties"]
    container = resources["TaskDefinition"]["Properties"]["ContainerDefinitions"][0]
    assert container["PortMappings"][0]["ContainerPort"] == group["Port"] == port
    condition, command, _ = container["Command"]["Fn::If"]
    assert condition == "DefaultImage"
    assert (
        command[:2] == ["/bin/sh", "-c"] and '"$0" > /etc/nginx/conf.d/default.conf' in command[2]
    )
    (tmp_path / "default.conf").write_text(command[3])
    with nginx(tmp_path):
        answer = first_answer(f"http://127.0.0.1:{port}{group['HealthCheckPath']}")
    assert config.health_check.matches(answer.status_code), answer


def first_answer(url: str, timeout: float = 30.0) -> httpx.Response:
    """The first HTTP answer from `url`, polling until nginx listens."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@contextmanager
def nginx(root: Path) -> Iterator[None]:
    """nginx including `root/default.conf` in its http block, as the image's
    nginx.conf includes conf.d/*.conf."""
    temp = " ".join(
        f"{kind}_temp_path {root / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (root / "nginx.conf").write_text(
        f"daemon off; pid {root / 'nginx.pid'}; error_log stderr;\n"
        f"events {{}}\nhttp {{ access_log off; {temp} include {root / 'default.conf'}; }}\n"
    )
    process = subprocess.Popen([tool("nginx"), "-p", str(root), "-c", str(root / "nginx.conf")])
    try:
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)
