"""The AWS resources the tests make on the emulator with boto3, as a user's
script or `bluegreen aws template` would: a VPC, an ALB, two target groups
with fast ALB health checks, and a production and a test listener."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .conftest import Emulator, free_port

WAIT = 60.0


@dataclass(frozen=True)
class Alb:
    arn: str
    blue_group: str
    green_group: str
    prod_listener: str
    test_listener: str
    prod_port: int
    test_port: int

    @property
    def prod_url(self) -> str:
        return f"http://127.0.0.1:{self.prod_port}"

    @property
    def test_url(self) -> str:
        return f"http://127.0.0.1:{self.test_port}"


def network(emulator: Emulator) -> tuple[str, list[str]]:
    """A VPC and a subnet in each of two AZs (an ALB needs two): their ids."""
    ec2 = emulator.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=zone)["Subnet"][
            "SubnetId"
        ]
        for i, zone in enumerate(("us-east-1a", "us-east-1b"))
    ]
    return vpc, subnets


def create_alb(emulator: Emulator, health_path: str = "/health") -> Alb:
    elbv2 = emulator.client("elbv2")
    vpc, subnets = network(emulator)
    balancer = elbv2.create_load_balancer(Name="web", Subnets=subnets, Type="application")
    arn = balancer["LoadBalancers"][0]["LoadBalancerArn"]
    blue, green = (_group(elbv2, name, vpc, health_path) for name in ("web-blue", "web-green"))
    prod_port, test_port = free_port(), free_port()
    prod = _listener(elbv2, arn, prod_port, blue)
    test = _listener(elbv2, arn, test_port, blue)
    return Alb(arn, blue, green, prod, test, prod_port, test_port)


def _group(elbv2: Any, name: str, vpc: str, path: str) -> str:
    group = elbv2.create_target_group(
        Name=name,
        Protocol="HTTP",
        Port=80,
        VpcId=vpc,
        TargetType="ip",
        HealthCheckPath=path,
        HealthCheckIntervalSeconds=10,
        HealthCheckTimeoutSeconds=5,
        HealthyThresholdCount=2,
        UnhealthyThresholdCount=2,
        Matcher={"HttpCode": "200-399"},
    )["TargetGroups"][0]["TargetGroupArn"]
    elbv2.modify_target_group_attributes(
        TargetGroupArn=group,
        Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "10"}],
    )
    return str(group)


def _listener(elbv2: Any, balancer: str, port: int, group: str) -> str:
    action = {"Type": "forward", "TargetGroupArn": group}
    answer = elbv2.create_listener(
        LoadBalancerArn=balancer, Protocol="HTTP", Port=port, DefaultActions=[action]
    )
    return str(answer["Listeners"][0]["ListenerArn"])


def weighted(blue: str, blue_weight: int, green: str, green_weight: int) -> list[dict[str, Any]]:
    groups = [
        {"TargetGroupArn": blue, "Weight": blue_weight},
        {"TargetGroupArn": green, "Weight": green_weight},
    ]
    return [{"Type": "forward", "ForwardConfig": {"TargetGroups": groups}}]


def wait_for(condition: Callable[[], Any], what: str, timeout: float = WAIT) -> Any:
    """Poll `condition` until it returns something true; fail naming `what`."""
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def target_states(emulator: Emulator, group: str) -> list[str]:
    answer = emulator.client("elbv2").describe_target_health(TargetGroupArn=group)
    return [d["TargetHealth"]["State"] for d in answer["TargetHealthDescriptions"]]
