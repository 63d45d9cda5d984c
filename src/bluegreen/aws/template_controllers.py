"""The controller-specific half of `bluegreen aws template`.

`codedeploy`: the service role, application and deployment group (blue/green
with traffic control, ready wait, termination wait, auto-rollback, alarms).
`ecs`: ECS's own strategy on the service, the infrastructure role ECS uses
to move listener rules, and the rules themselves.
"""

from __future__ import annotations

from typing import Any

from ..spec.config import BluegreenConfig
from .cfn import attr, ref, role
from .ecs_native import ecs_strategy, minutes

MAX_READY_MINUTES = 2880


def ecs_deployment(config: BluegreenConfig) -> dict[str, Any]:
    """The same strategy keys UpdateService gets, in CloudFormation's spelling."""
    settings = pascal(ecs_strategy(config.deployment.config))
    settings["BakeTimeInMinutes"] = minutes(config.deployment.termination_wait)
    return settings


def pascal(value: Any) -> Any:
    """API keys (camelCase) as CloudFormation properties (PascalCase)."""
    if isinstance(value, dict):
        return {key[:1].upper() + key[1:]: pascal(item) for key, item in value.items()}
    return value


def ecs_resources() -> dict[str, Any]:
    """ECS-native blue/green moves listener rules itself, through this role."""
    return {
        "EcsLoadBalancerRole": role(
            "ecs.amazonaws.com",
            "arn:${AWS::Partition}:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers",
        ),
        "ProductionRule": _rule("ProductionListener"),
        "TestRule": _rule("TestListener"),
    }


def _rule(listener: str) -> dict[str, Any]:
    forward = {
        "TargetGroups": [
            {"TargetGroupArn": ref("TargetGroupBlue"), "Weight": 100},
            {"TargetGroupArn": ref("TargetGroupGreen"), "Weight": 0},
        ]
    }
    return {
        "Type": "AWS::ElasticLoadBalancingV2::ListenerRule",
        "Properties": {
            "ListenerArn": ref(listener),
            "Priority": 1,
            "Conditions": [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/*"]}}],
            "Actions": [{"Type": "forward", "ForwardConfig": forward}],
        },
    }


def codedeploy_resources(config: BluegreenConfig) -> dict[str, Any]:
    deployment = config.deployment
    cluster, service = config.aws.cluster, config.aws.service or config.service.name
    ready_wait = max(deployment.ready_wait, config.validation.deadline + 600)
    ready_minutes = minutes(ready_wait, MAX_READY_MINUTES)
    group: dict[str, Any] = {
        "ApplicationName": ref("Application"),
        "DeploymentGroupName": config.aws.codedeploy_group or f"DgpECS-{cluster}-{service}",
        "ServiceRoleArn": attr("CodeDeployRole", "Arn"),
        "DeploymentConfigName": deployment.config.name or "CodeDeployDefault.ECSAllAtOnce",
        "DeploymentStyle": {
            "DeploymentType": "BLUE_GREEN",
            "DeploymentOption": "WITH_TRAFFIC_CONTROL",
        },
        "BlueGreenDeploymentConfiguration": {
            "DeploymentReadyOption": {
                "ActionOnTimeout": "STOP_DEPLOYMENT",
                "WaitTimeInMinutes": ready_minutes,
            },
            "TerminateBlueInstancesOnDeploymentSuccess": {
                "Action": "TERMINATE",
                "TerminationWaitTimeInMinutes": minutes(deployment.termination_wait, 2880),
            },
        },
        "AutoRollbackConfiguration": {
            "Enabled": bool(deployment.auto_rollback),
            "Events": list(deployment.auto_rollback),
        },
        "AlarmConfiguration": {
            "Enabled": True,
            "Alarms": [{"Name": ref("Alarm5xxBlue")}, {"Name": ref("Alarm5xxGreen")}],
        },
        "ECSServices": [{"ClusterName": ref("Cluster"), "ServiceName": attr("Service", "Name")}],
        "LoadBalancerInfo": {"TargetGroupPairInfoList": [_target_group_pair()]},
    }
    return {
        "CodeDeployRole": role(
            "codedeploy.amazonaws.com",
            "arn:${AWS::Partition}:iam::aws:policy/AWSCodeDeployRoleForECS",
        ),
        "Application": {
            "Type": "AWS::CodeDeploy::Application",
            "Properties": {
                "ApplicationName": config.aws.codedeploy_application
                or f"AppECS-{cluster}-{service}",
                "ComputePlatform": "ECS",
            },
        },
        "DeploymentGroup": {"Type": "AWS::CodeDeploy::DeploymentGroup", "Properties": group},
    }


def _target_group_pair() -> dict[str, Any]:
    return {
        "TargetGroups": [
            {"Name": attr("TargetGroupBlue", "TargetGroupName")},
            {"Name": attr("TargetGroupGreen", "TargetGroupName")},
        ],
        "ProdTrafficRoute": {"ListenerArns": [ref("ProductionListener")]},
        "TestTrafficRoute": {"ListenerArns": [ref("TestListener")]},
    }
