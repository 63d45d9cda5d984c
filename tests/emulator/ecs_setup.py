"""The ECS-native side of the tests' AWS: a production and a test listener rule
(`/*`, weighted forward, all on blue), and the ECS service (ECS controller,
BLUE_GREEN) whose `advancedConfiguration` names the alternate target group and
both rules, running two healthy v1 tasks on the blue target group."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .conftest import Emulator
from .project import blue_container
from .resources import Alb, target_states, wait_for, weighted

ROLE = "arn:aws:iam::123456789012:role/ecs-infrastructure"


@dataclass(frozen=True)
class Rules:
    production: str
    test: str


def create_rules(emulator: Emulator, alb: Alb) -> Rules:
    """One catch-all rule per listener: ECS moves traffic by rewriting them, so
    the listeners' default actions (blue) must never serve once they exist."""
    elbv2 = emulator.client("elbv2")
    everything = [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/*"]}}]
    arns = []
    for listener in (alb.prod_listener, alb.test_listener):
        answer = elbv2.create_rule(
            ListenerArn=listener,
            Priority=1,
            Conditions=everything,
            Actions=weighted(alb.blue_group, 100, alb.green_group, 0),
        )
        arns.append(str(answer["Rules"][0]["RuleArn"]))
    return Rules(*arns)


def load_balancers(alb: Alb, rules: Rules) -> list[dict[str, Any]]:
    advanced = {
        "alternateTargetGroupArn": alb.green_group,
        "productionListenerRule": rules.production,
        "testListenerRule": rules.test,
        "roleArn": ROLE,
    }
    return [
        {
            "targetGroupArn": alb.blue_group,
            "containerName": "web",
            "containerPort": 8000,
            "advancedConfiguration": advanced,
        }
    ]


def create_native_service(emulator: Emulator, alb: Alb, **configuration: Any) -> Rules:
    """The BLUE_GREEN service with two healthy v1 tasks; its listener rules."""
    rules = create_rules(emulator, alb)
    ecs = emulator.client("ecs")
    ecs.create_cluster(clusterName="prod")
    registered = ecs.register_task_definition(
        family="web", containerDefinitions=[blue_container("v1")]
    )
    ecs.create_service(
        cluster="prod",
        serviceName="web",
        taskDefinition=registered["taskDefinition"]["taskDefinitionArn"],
        desiredCount=2,
        deploymentController={"type": "ECS"},
        deploymentConfiguration={"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 1, **configuration},
        launchType="FARGATE",
        loadBalancers=load_balancers(alb, rules),
    )
    wait_for(
        lambda: target_states(emulator, alb.blue_group) == ["healthy", "healthy"],
        "two healthy blue tasks",
    )
    return rules


def service_deployments(emulator: Emulator) -> list[dict[str, Any]]:
    """Every service deployment of prod/web, described, newest first."""
    ecs = emulator.client("ecs")
    briefs = ecs.list_service_deployments(cluster="prod", service="web")["serviceDeployments"]
    if not briefs:
        return []
    arns = [b["serviceDeploymentArn"] for b in briefs]
    return list(ecs.describe_service_deployments(serviceDeploymentArns=arns)["serviceDeployments"])
