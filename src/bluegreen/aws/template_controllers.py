"""The controller-specific half of `bluegreen aws template`.

`codedeploy`: the service role, application and deployment group (blue/green
with traffic control, ready wait, termination wait, auto-rollback, alarms).
`ecs`: ECS's own strategy on the service, the infrastructure role ECS uses
to move listener rules, and the rules themselves.
"""

from __future__ import annotations

from typing import Any

from ..spec.config import BluegreenConfig
from ..spec.deployment_config import DeploymentConfig, ShiftType
from ..spec.duration import format_duration
from ..vocabulary import ReadyAction
from .aws_durations import BAKE_TIME, READY_WAIT, TERMINATION_WAIT
from .cfn import attr, ref, role
from .codedeploy import codedeploy_names
from .shift_settings import ecs_strategy

SOURCE = "bluegreen.toml"
GATE_MARGIN = 600.0


ALARMS = ("Alarm5xxBlue", "Alarm5xxGreen")


def ecs_deployment(config: BluegreenConfig, notes: list[str]) -> dict[str, Any]:
    """The same strategy keys UpdateService gets, in CloudFormation's spelling,
    and the 5xx alarms, which stop (and, if asked, roll back) a deployment."""
    deployment = config.deployment
    settings = pascal(ecs_strategy(deployment.config, SOURCE))
    settings["BakeTimeInMinutes"] = BAKE_TIME.fit(
        deployment.termination_wait, "deployment.termination_wait", notes, SOURCE
    )
    settings["Alarms"] = {
        "AlarmNames": [ref(alarm) for alarm in ALARMS],
        "Enable": True,
        "Rollback": "DEPLOYMENT_STOP_ON_ALARM" in deployment.auto_rollback,
    }
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


def codedeploy_resources(config: BluegreenConfig, notes: list[str]) -> dict[str, Any]:
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
            "Properties": _deployment_group(config, group, notes),
        },
    }


def _deployment_group(config: BluegreenConfig, name: str, notes: list[str]) -> dict[str, Any]:
    """Blue/green with traffic control, waiting in Ready so the CLI can gate."""
    deployment = config.deployment
    ready_wait = _ready_wait(config, notes)
    termination_wait = TERMINATION_WAIT.fit(
        deployment.termination_wait, "deployment.termination_wait", notes, SOURCE
    )
    return {
        "ApplicationName": ref("Application"),
        "DeploymentGroupName": name,
        "ServiceRoleArn": attr("CodeDeployRole", "Arn"),
        "DeploymentConfigName": _group_config_name(deployment.config),
        "DeploymentStyle": {
            "DeploymentType": "BLUE_GREEN",
            "DeploymentOption": "WITH_TRAFFIC_CONTROL",
        },
        "BlueGreenDeploymentConfiguration": {
            "DeploymentReadyOption": {
                "ActionOnTimeout": ReadyAction.STOP.value,
                "WaitTimeInMinutes": ready_wait,
            },
            "TerminateBlueInstancesOnDeploymentSuccess": {
                "Action": "TERMINATE",
                "TerminationWaitTimeInMinutes": termination_wait,
            },
        },
        "AutoRollbackConfiguration": {
            "Enabled": bool(deployment.auto_rollback),
            "Events": list(deployment.auto_rollback),
        },
        "AlarmConfiguration": {
            "Enabled": True,
            "Alarms": [{"Name": ref(alarm)} for alarm in ALARMS],
        },
        "ECSServices": [{"ClusterName": ref("Cluster"), "ServiceName": attr("Service", "Name")}],
        "LoadBalancerInfo": {"TargetGroupPairInfoList": [_target_group_pair()]},
    }


def _ready_wait(config: BluegreenConfig, notes: list[str]) -> int:
    """The group's ready wait: `ready_wait`, but never shorter than the gate's
    deadline + 10 minutes, so CodeDeploy's wait cannot end while the gate runs."""
    asked = config.deployment.ready_wait
    floor = config.validation.deadline + GATE_MARGIN
    if 0 < asked < floor:
        notes.append(
            f"note: deployment.ready_wait = {format_duration(asked)} is raised on AWS to "
            f"the gate's deadline + 10m ({format_duration(floor)}), so CodeDeploy's wait "
            "cannot end while the gate runs"
        )
    if asked >= floor:
        return READY_WAIT.fit(asked, "deployment.ready_wait", notes, SOURCE)
    # The documented default; its rounding to whole minutes needs no note.
    return READY_WAIT.fit(floor, "validation.deadline", [], SOURCE)


def _group_config_name(shift: DeploymentConfig) -> str:
    """The group's default config: a table's own config does not exist before the
    first deploy makes it (each deployment names its config anyway)."""
    if shift.predefined or shift.type is ShiftType.NAMED:
        return str(shift.name)
    return "CodeDeployDefault.ECSAllAtOnce"


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
