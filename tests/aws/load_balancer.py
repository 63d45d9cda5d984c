"""An Application Load Balancer in moto, as `bluegreen aws template` makes it:
two target groups (web-blue, web-green: the names the CodeDeploy double's
task sets carry), a production listener and a test listener, each with one
rule for ECS's advanced configuration."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3


@dataclass(frozen=True)
class Alb:
    dns: str
    blue: str
    green: str
    prod_listener: str
    test_listener: str
    prod_rule: str
    test_rule: str

    def route_test_to(self, target_group: str) -> None:
        """Point the test listener at one target group (green, or blue by mistake)."""
        action = [{"Type": "forward", "TargetGroupArn": target_group}]
        elbv2 = boto3.client("elbv2")
        elbv2.modify_listener(ListenerArn=self.test_listener, DefaultActions=action)
        elbv2.modify_rule(RuleArn=self.test_rule, Actions=action)

    def codedeploy_info(self, test_route: bool = True) -> dict[str, Any]:
        pair: dict[str, Any] = {
            "targetGroups": [{"name": "web-blue"}, {"name": "web-green"}],
            "prodTrafficRoute": {"listenerArns": [self.prod_listener]},
        }
        if test_route:
            pair["testTrafficRoute"] = {"listenerArns": [self.test_listener]}
        return {"targetGroupPairInfoList": [pair]}

    def ecs_load_balancer(self, test_rule: bool = True) -> dict[str, Any]:
        advanced = {
            "alternateTargetGroupArn": self.green,
            "productionListenerRule": self.prod_rule,
            "roleArn": "arn:aws:iam::123456789012:role/ecs-infrastructure",
        }
        if test_rule:
            advanced["testListenerRule"] = self.test_rule
        return {
            "targetGroupArn": self.blue,
            "containerName": "web",
            "containerPort": 8000,
            "advancedConfiguration": advanced,
        }


def create_alb() -> Alb:
    ec2, elbv2 = boto3.client("ec2"), boto3.client("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=zone)["Subnet"][
            "SubnetId"
        ]
        for i, zone in enumerate(("us-east-1a", "us-east-1b"))
    ]
    balancer = elbv2.create_load_balancer(Name="web", Subnets=subnets)["LoadBalancers"][0]
    blue, green = (
        elbv2.create_target_group(
            Name=name, Protocol="HTTP", Port=8000, VpcId=vpc, TargetType="ip"
        )["TargetGroups"][0]["TargetGroupArn"]
        for name in ("web-blue", "web-green")
    )
    listeners, rules = [], []
    for port, group in ((80, blue), (8080, green)):
        action = [{"Type": "forward", "TargetGroupArn": group}]
        listener = elbv2.create_listener(
            LoadBalancerArn=balancer["LoadBalancerArn"],
            Protocol="HTTP",
            Port=port,
            DefaultActions=action,
        )["Listeners"][0]["ListenerArn"]
        condition = [{"Field": "path-pattern", "Values": ["/*"]}]
        rule = elbv2.create_rule(
            ListenerArn=listener, Priority=1, Conditions=condition, Actions=action
        )["Rules"][0]["RuleArn"]
        listeners.append(listener)
        rules.append(rule)
    return Alb(balancer["DNSName"], blue, green, listeners[0], listeners[1], rules[0], rules[1])
