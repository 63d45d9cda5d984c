"""`bluegreen aws template`: the CloudFormation stack a deployment needs.

Everything both platforms expect, named and sized from bluegreen.toml: an
ECR repository, a cluster, an ALB with a production and a test listener,
two target groups with the config's health check, a log group, IAM roles,
a Fargate service, and either a CodeDeploy application and deployment group
(controller `codedeploy`) or ECS's own blue/green settings (controller
`ecs`). The group waits in Ready (STOP_DEPLOYMENT) so the CLI can gate on
the test listener, and rolls back on failure, alarm or stop; an alarm on
each target group's 5xx count watches green after the shift.
"""

from __future__ import annotations

from typing import Any

import yaml

from ..errors import Problem, SpecError
from ..spec.config import BluegreenConfig
from .aws_durations import HEALTH_INTERVAL, HEALTH_TIMEOUT
from .cfn import attr, ref, sub
from .template_controllers import (
    cluster_name,
    codedeploy_resources,
    ecs_deployment,
    ecs_resources,
    service_name,
)
from .template_task import (
    service_task_definition,
    task_conditions,
    task_parameters,
    task_resources,
)

CONTROLLERS = ("codedeploy", "ecs")
PRODUCTION_PORT = 80
TEST_PORT = 8080
ALARM_5XX_THRESHOLD = 5
SOURCE = "bluegreen.toml"


def render_template(config: BluegreenConfig, controller: str, notes: list[str]) -> str:
    """The template as YAML (long-form intrinsics, so any YAML parser reads it);
    where AWS holds a setting differently from bluegreen.toml, a line in `notes`."""
    template = build_template(config, controller, notes)
    return yaml.safe_dump(template, sort_keys=False, width=100)


def build_template(
    config: BluegreenConfig, controller: str, notes: list[str] | None = None
) -> dict[str, Any]:
    notes = [] if notes is None else notes
    resources = {
        **_registry_and_logs(config),
        **_network(config),
        **_load_balancer(config, notes),
        **task_resources(config),
        **_service(config, controller, notes),
        **_alarms(),
    }
    if controller == "codedeploy":
        resources.update(codedeploy_resources(config, notes))
    else:
        resources.update(ecs_resources())
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"bluegreen: {config.service.name} on ECS Fargate, {controller} blue/green",
        "Parameters": _parameters(),
        "Conditions": task_conditions(),
        "Resources": resources,
        "Outputs": _outputs(controller),
    }


def _parameters() -> dict[str, Any]:
    return {
        "VpcId": {"Type": "AWS::EC2::VPC::Id", "Description": "VPC for the ALB and tasks"},
        "SubnetIds": {
            "Type": "List<AWS::EC2::Subnet::Id>",
            "Description": "At least two subnets in different AZs (ALB requirement)",
        },
        **task_parameters(),
    }


def _registry_and_logs(config: BluegreenConfig) -> dict[str, Any]:
    repository = config.aws.ecr_repository or config.service.name
    return {
        "Repository": {
            "Type": "AWS::ECR::Repository",
            "Properties": {
                "RepositoryName": repository,
                "ImageScanningConfiguration": {"ScanOnPush": True},
            },
        },
        "Cluster": {
            "Type": "AWS::ECS::Cluster",
            "Properties": {"ClusterName": cluster_name(config)},
        },
        "LogGroup": {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {"LogGroupName": sub("/ecs/${AWS::StackName}"), "RetentionInDays": 30},
        },
    }


def _network(config: BluegreenConfig) -> dict[str, Any]:
    port = config.service.container_port
    return {
        "LoadBalancerSecurityGroup": _security_group(
            "ALB: production and test listeners",
            [_ingress(p, {"CidrIp": "0.0.0.0/0"}) for p in (PRODUCTION_PORT, TEST_PORT)],
        ),
        "ServiceSecurityGroup": _security_group(
            "Tasks: the container port, from the ALB only",
            [_ingress(port, {"SourceSecurityGroupId": ref("LoadBalancerSecurityGroup")})],
        ),
    }


def _security_group(description: str, ingress: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "Type": "AWS::EC2::SecurityGroup",
        "Properties": {
            "GroupDescription": description,
            "VpcId": ref("VpcId"),
            "SecurityGroupIngress": ingress,
        },
    }


def _ingress(port: int, source: dict[str, Any]) -> dict[str, Any]:
    return {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, **source}


def _load_balancer(config: BluegreenConfig, notes: list[str]) -> dict[str, Any]:
    return {
        "LoadBalancer": {
            "Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
            "Properties": {
                "Type": "application",
                "Scheme": "internet-facing",
                "Subnets": ref("SubnetIds"),
                "SecurityGroups": [ref("LoadBalancerSecurityGroup")],
            },
        },
        "TargetGroupBlue": _target_group(config, notes),
        "TargetGroupGreen": _target_group(config, notes),
        "ProductionListener": _listener(PRODUCTION_PORT),
        "TestListener": _listener(TEST_PORT),
    }


def _target_group(config: BluegreenConfig, notes: list[str]) -> dict[str, Any]:
    health = config.health_check
    interval = HEALTH_INTERVAL.fit(health.interval, "health_check.interval", notes, SOURCE)
    timeout = HEALTH_TIMEOUT.fit(health.timeout, "health_check.timeout", notes, SOURCE)
    if timeout >= interval:
        raise SpecError(
            Problem(
                SOURCE,
                "health_check.timeout",
                f"ALB needs the timeout ({timeout}s on AWS) shorter than the interval "
                f"({interval}s on AWS)",
            )
        )
    return {
        "Type": "AWS::ElasticLoadBalancingV2::TargetGroup",
        "Properties": {
            "VpcId": ref("VpcId"),
            "TargetType": "ip",
            "Protocol": "HTTP",
            "Port": config.service.container_port,
            "HealthCheckPath": health.path,
            "HealthCheckIntervalSeconds": interval,
            "HealthCheckTimeoutSeconds": timeout,
            "HealthyThresholdCount": health.healthy_threshold,
            "UnhealthyThresholdCount": health.unhealthy_threshold,
            "Matcher": {"HttpCode": health.matcher},
            "TargetGroupAttributes": [
                {"Key": "deregistration_delay.timeout_seconds", "Value": "30"}
            ],
        },
    }


def _listener(port: int) -> dict[str, Any]:
    """Forward to blue; the controller rewrites it to weights over both groups."""
    forward = {"Type": "forward", "TargetGroupArn": ref("TargetGroupBlue")}
    return {
        "Type": "AWS::ElasticLoadBalancingV2::Listener",
        "Properties": {
            "LoadBalancerArn": ref("LoadBalancer"),
            "Port": port,
            "Protocol": "HTTP",
            "DefaultActions": [forward],
        },
    }


def _service(config: BluegreenConfig, controller: str, notes: list[str]) -> dict[str, Any]:
    balancer: dict[str, Any] = {
        "ContainerName": config.service.container,
        "ContainerPort": config.service.container_port,
        "TargetGroupArn": ref("TargetGroupBlue"),
    }
    properties: dict[str, Any] = {
        "Cluster": ref("Cluster"),
        "ServiceName": service_name(config),
        "LaunchType": "FARGATE",
        "DesiredCount": config.service.desired_count,
        "TaskDefinition": service_task_definition(),
        "LoadBalancers": [balancer],
        "NetworkConfiguration": {
            "AwsvpcConfiguration": {
                "Subnets": ref("SubnetIds"),
                "SecurityGroups": [ref("ServiceSecurityGroup")],
                "AssignPublicIp": "ENABLED",
            }
        },
    }
    if controller == "codedeploy":
        properties["DeploymentController"] = {"Type": "CODE_DEPLOY"}
    else:
        properties["DeploymentController"] = {"Type": "ECS"}
        properties["DeploymentConfiguration"] = ecs_deployment(config, notes)
        balancer["AdvancedConfiguration"] = {
            "AlternateTargetGroupArn": ref("TargetGroupGreen"),
            "ProductionListenerRule": ref("ProductionRule"),
            "TestListenerRule": ref("TestRule"),
            "RoleArn": attr("EcsLoadBalancerRole", "Arn"),
        }
    return {
        "Service": {
            "Type": "AWS::ECS::Service",
            "DependsOn": ["ProductionListener", "TestListener"],
            "Properties": properties,
        }
    }


def _alarms() -> dict[str, Any]:
    return {f"Alarm5xx{color}": _alarm_5xx(f"TargetGroup{color}") for color in ("Blue", "Green")}


def _alarm_5xx(target_group: str) -> dict[str, Any]:
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmDescription": "5xx answers from this target group's tasks",
            "Namespace": "AWS/ApplicationELB",
            "MetricName": "HTTPCode_Target_5XX_Count",
            "Dimensions": [
                {"Name": "LoadBalancer", "Value": attr("LoadBalancer", "LoadBalancerFullName")},
                {"Name": "TargetGroup", "Value": attr(target_group, "TargetGroupFullName")},
            ],
            "Statistic": "Sum",
            "Period": 60,
            "EvaluationPeriods": 1,
            "Threshold": ALARM_5XX_THRESHOLD,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "notBreaching",
        },
    }


def _outputs(controller: str) -> dict[str, Any]:
    outputs = {
        "ProductionUrl": {"Value": sub("http://${LoadBalancer.DNSName}")},
        "TestListenerUrl": {
            "Description": "aws.test_listener_url in bluegreen.toml",
            "Value": sub(f"http://${{LoadBalancer.DNSName}}:{TEST_PORT}"),
        },
        "RepositoryUri": {"Value": attr("Repository", "RepositoryUri")},
        "RepositoryName": {"Value": ref("Repository")},
        "ClusterName": {"Value": ref("Cluster")},
        "ServiceName": {"Value": attr("Service", "Name")},
        "ExecutionRoleArn": {
            "Description": "aws.execution_role_arn: fills <EXECUTION_ROLE_ARN> in taskdef.json",
            "Value": attr("TaskExecutionRole", "Arn"),
        },
        "LogGroup": {
            "Description": "aws.log_group: fills <LOG_GROUP> in taskdef.json",
            "Value": ref("LogGroup"),
        },
    }
    if controller == "codedeploy":
        outputs["CodeDeployApplication"] = {"Value": ref("Application")}
        outputs["CodeDeployGroup"] = {"Value": ref("DeploymentGroup")}
    return outputs
