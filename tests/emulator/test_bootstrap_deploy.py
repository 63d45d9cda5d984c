"""`bluegreen aws bootstrap` against the emulator makes a stack that can be deployed
to: the CodeDeploy application and group, the 5xx alarms and the service's
load balancer and controller exist as the template says (moto's
CloudFormation alone skips or drops them), and `bluegreen deploy --platform
aws-codedeploy` then succeeds with no failed request on the stack's own
production listener."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import BLUEGREEN, Emulator
from .resources import network, wait_for
from .steady import SteadyClient
from .test_cli_codedeploy import deploy

pytestmark = pytest.mark.slow

STACK = "bluegreen-web"


def bootstrap(emulator: Emulator, project_dir: Path) -> None:
    vpc, subnets = network(emulator)
    command = [BLUEGREEN, "aws", "bootstrap", str(project_dir), "--write"]
    command += ["--vpc", vpc, "--subnets", ",".join(subnets)]
    env = {**emulator.env, "BLUEGREEN_AWS_POLL": "20ms", "AWS_MAX_ATTEMPTS": "1"}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr


def physical(emulator: Emulator, logical: str) -> str:
    detail = emulator.client("cloudformation").describe_stack_resource(
        StackName=STACK, LogicalResourceId=logical
    )["StackResourceDetail"]
    return str(detail["PhysicalResourceId"])


def address(emulator: Emulator, listener_arn: str) -> str:
    """Where the stack's listener really listens (port 80 is not ours to bind)."""
    page = httpx.get(f"{emulator.url}/_bluegreen/listeners", timeout=10).json()
    return f"http://{page[listener_arn]['address']}"


def point_the_gate_at(project_dir: Path, test_url: str) -> None:
    """The stack's TestListenerUrl names the ALB's DNS name; here it is 127.0.0.1."""
    config = project_dir / "bluegreen.toml"
    text = re.sub(
        r'test_listener_url = ".*"', f'test_listener_url = "{test_url}"', config.read_text()
    )
    config.write_text(text)


def outputs(emulator: Emulator) -> dict[str, str]:
    stack = emulator.client("cloudformation").describe_stacks(StackName=STACK)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}


def check_the_stack(emulator: Emulator) -> dict[str, Any]:
    """What moto's CloudFormation left out is there, as the template has it."""
    names = outputs(emulator)
    group = emulator.client("codedeploy").get_deployment_group(
        applicationName=names["CodeDeployApplication"],
        deploymentGroupName=names["CodeDeployGroup"],
    )["deploymentGroupInfo"]
    assert group["deploymentStyle"] == {
        "deploymentType": "BLUE_GREEN",
        "deploymentOption": "WITH_TRAFFIC_CONTROL",
    }
    ready = group["blueGreenDeploymentConfiguration"]["deploymentReadyOption"]
    assert ready["actionOnTimeout"] == "STOP_DEPLOYMENT"
    pair = group["loadBalancerInfo"]["targetGroupPairInfoList"][0]
    assert pair["prodTrafficRoute"]["listenerArns"] == [physical(emulator, "ProductionListener")]
    assert pair["testTrafficRoute"]["listenerArns"] == [physical(emulator, "TestListener")]
    blue_arn = physical(emulator, "TargetGroupBlue")
    assert pair["targetGroups"][0]["name"] == blue_arn.split("/")[1]
    assert group["ecsServices"] == [{"serviceName": "web", "clusterName": "prod"}]
    # moto's GetDeploymentGroup always answers alarmConfiguration {}: the alarms
    # are checked in CloudWatch, by the names CloudFormation gave them.
    found = emulator.client("cloudwatch").describe_alarms()["MetricAlarms"]
    by_group = {
        d["Value"]: alarm["AlarmName"]
        for alarm in found
        for d in alarm["Dimensions"]
        if d["Name"] == "TargetGroup"
    }
    assert by_group[blue_arn.split(":")[-1]].startswith(f"{STACK}-Alarm5xxBlue-")
    lb = physical(emulator, "LoadBalancer").split(":loadbalancer/")[1]
    assert {d["Value"] for a in found for d in a["Dimensions"] if d["Name"] == "LoadBalancer"} == {
        lb
    }
    service = emulator.client("ecs").describe_services(cluster="prod", services=["web"])
    described = service["services"][0]
    assert described["deploymentController"] == {"type": "CODE_DEPLOY"}
    assert described["loadBalancers"][0]["targetGroupArn"] == blue_arn
    return names


def test_bootstrap_then_deploy_with_no_failed_request(
    project_emulator: Emulator, project_dir: Path
) -> None:
    emulator = project_emulator
    bootstrap(emulator, project_dir)
    check_the_stack(emulator)
    point_the_gate_at(project_dir, address(emulator, physical(emulator, "TestListener")))
    production = address(emulator, physical(emulator, "ProductionListener"))
    wait_for(lambda: httpx.get(production, timeout=10).status_code == 200, "the stack's tasks")
    with SteadyClient(production) as steady:
        wait_for(lambda: len(steady.answers) > 20, "the steady client's first answers")
        done = deploy(emulator, project_dir)
        seen = len(steady.answers)
        wait_for(lambda: len(steady.answers) > seen + 20, "answers after the deployment")
    assert done.returncode == 0, done.stdout + done.stderr
    assert steady.failures == []
    assert steady.answers[-1] == "v2" and steady.answers[0] != "v2"
