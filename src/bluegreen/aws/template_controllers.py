"""The controller-specific half of `bluegreen aws template`.

`codedeploy`: the service role, application and deployment group (blue/green
with traffic control, ready wait, termination wait, auto-rollback, alarms).
`ecs`: ECS's own strategy on the service, the infrastructure role ECS uses
to move listener rules, and the rules themselves.
"""

from __future__ import annotations

from typing import Any

from ..spec.config import BluegreenConfig
from ..vocabulary import ReadyAction
from .cfn import attr, ref, role
from .codedeploy import codedeploy_names
from .ecs_native import ecs_strategy, minutes

MAX_WAIT_MINUTES = 2880


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
    application, group = codedeploy_names(config.aws, cluster_name(config), service_name(config))
    return {
        "CodeDeployRole": role(
            "codedeploy.amazonaws.com",
            "arn:${AWS::Partition}:iam::aws:policy/AWSCodeDeployRoleForECS",
        ),
        "Application": {
            "Type": "AWS::CodeDeploy::Application",
            "Properties": {"ApplicationName": application, "ComputePlatform": "ECS"},
        },
        "DeploymentGroup": {
            "Type": "AWS::CodeDeploy::DeploymentGroup",
            "Properties": _deployment_group(config, group),
        },
    }


def _deployment_group(config: BluegreenConfig, name: str) -> dict[str, Any]:
    """Blue/green with traffic control, waiting in Ready so the CLI can gate."""
    deployment = config.deployment
    ready_wait = max(deployment.ready_wait, config.validation.deadline + 600)
    return {
        "ApplicationName": ref("Application"),
        "DeploymentGroupName": name,
        "ServiceRoleArn": attr("CodeDeployRole", "Arn"),
        "DeploymentConfigName": deployment.config.name or "CodeDeployDefault.ECSAllAtOnce",
        "DeploymentStyle": {
            "DeploymentType": "BLUE_GREEN",
            "DeploymentOption": "WITH_TRAFFIC_CONTROL",
        },
        "BlueGreenDeploymentConfiguration": {
            "DeploymentReadyOption": {
                "ActionOnTimeout": ReadyAction.STOP.value,
                "WaitTimeInMinutes": minutes(ready_wait, MAX_WAIT_MINUTES),
            },
            "TerminateBlueInstancesOnDeploymentSuccess": {
                "Action": "TERMINATE",
                "TerminationWaitTimeInMinutes": minutes(
                    deployment.termination_wait, MAX_WAIT_MINUTES
                ),
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


def cluster_name(config: BluegreenConfig) -> str:
    return config.aws.cluster or config.service.name


def service_name(config: BluegreenConfig) -> str:
    return config.aws.service or config.service.name


def _target_group_pair() -> dict[str, Any]:
    return {
        "TargetGroups": [
            {"Name": attr("TargetGroupBlue", "TargetGroupName")},
            {"Name": attr("TargetGroupGreen", "TargetGroupName")},
        ],
        "ProdTrafficRoute": {"ListenerArns": [ref("ProductionListener")]},
        "TestTrafficRoute": {"ListenerArns": [ref("TestListener")]},
    }
