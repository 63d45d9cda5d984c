"""A stack made by moto's CloudFormation on the emulator: its listeners become
real ports and its ECS service's tasks run, though no ELBv2 or ECS call
announced them. (What moto's CloudFormation skips or drops, the emulator makes:
test_bootstrap_deploy.py deploys to `bluegreen aws bootstrap`'s stack.)"""

from __future__ import annotations

import json

import httpx

from .conftest import Emulator, free_port
from .project import blue_container
from .resources import network, wait_for


def template(vpc: str, subnets: list[str], port: int) -> str:
    resources = {
        "Balancer": {
            "Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
            "Properties": {"Subnets": subnets},
        },
        "Group": {
            "Type": "AWS::ElasticLoadBalancingV2::TargetGroup",
            "Properties": {"Port": 80, "Protocol": "HTTP", "VpcId": vpc, "TargetType": "ip"},
        },
        "Production": {
            "Type": "AWS::ElasticLoadBalancingV2::Listener",
            "Properties": {
                "LoadBalancerArn": {"Ref": "Balancer"},
                "Port": port,
                "Protocol": "HTTP",
                "DefaultActions": [{"Type": "forward", "TargetGroupArn": {"Ref": "Group"}}],
            },
        },
        "Cluster": {"Type": "AWS::ECS::Cluster", "Properties": {"ClusterName": "prod"}},
        "Task": {
            "Type": "AWS::ECS::TaskDefinition",
            "Properties": {"Family": "web", "ContainerDefinitions": [_cfn(blue_container("v1"))]},
        },
        "Service": {
            "Type": "AWS::ECS::Service",
            "Properties": {
                "Cluster": {"Ref": "Cluster"},
                "ServiceName": "web",
                "TaskDefinition": {"Ref": "Task"},
                "DesiredCount": 1,
            },
        },
    }
    return json.dumps({"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources})


def _cfn(container: dict[str, object]) -> dict[str, object]:
    """CloudFormation spells ECS's camelCase keys in PascalCase."""
    return {k[0].upper() + k[1:]: v for k, v in container.items()}


def test_a_stack_s_listeners_and_tasks_are_taken_up(project_emulator: Emulator) -> None:
    emulator = project_emulator
    vpc, subnets = network(emulator)
    port = free_port()
    emulator.client("cloudformation").create_stack(
        StackName="web", TemplateBody=template(vpc, subnets, port)
    )
    page = httpx.get(f"{emulator.url}/_bluegreen/listeners", timeout=10).json()
    assert [entry["address"] for entry in page.values()] == [f"127.0.0.1:{port}"]
    # No target is registered, so the listener answers ALB's 503 on a real port.
    assert httpx.get(f"http://127.0.0.1:{port}/", timeout=10).status_code == 503
    wait_for(lambda: list((emulator.state_dir / "tasks").glob("*.pid")), "the service's task")
