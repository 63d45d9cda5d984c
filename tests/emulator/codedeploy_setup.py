"""The CodeDeploy side of the tests' AWS: the ECS service (CODE_DEPLOY
controller, blue tasks of revision v1 on the blue target group), the
application and a deployment group over the ALB's pair of target groups."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .conftest import Emulator
from .project import blue_container
from .resources import Alb, target_states, wait_for

APPLICATION = "AppECS-prod-web"
GROUP = "DgpECS-prod-web"


def create_blue_service(emulator: Emulator, alb: Alb) -> str:
    """The ECS service with two healthy v1 tasks; the v1 task definition ARN."""
    ecs = emulator.client("ecs")
    ecs.create_cluster(clusterName="prod")
    registered = ecs.register_task_definition(
        family="web", containerDefinitions=[blue_container("v1")]
    )
    arn = str(registered["taskDefinition"]["taskDefinitionArn"])
    ecs.create_service(
        cluster="prod",
        serviceName="web",
        taskDefinition=arn,
        desiredCount=2,
        deploymentController={"type": "CODE_DEPLOY"},
        launchType="FARGATE",
        loadBalancers=[
            {"targetGroupArn": alb.blue_group, "containerName": "web", "containerPort": 8000}
        ],
    )
    wait_for(
        lambda: target_states(emulator, alb.blue_group) == ["healthy", "healthy"],
        "two healthy blue tasks",
    )
    return arn


def create_group(
    emulator: Emulator,
    alb: Alb,
    test_route: bool = True,
    ready: str = "STOP_DEPLOYMENT",
    alarms: list[str] | None = None,
    blue_action: str = "TERMINATE",
) -> None:
    codedeploy = emulator.client("codedeploy")
    codedeploy.create_application(applicationName=APPLICATION, computePlatform="ECS")
    pair: dict[str, Any] = {
        "targetGroups": [{"name": "web-blue"}, {"name": "web-green"}],
        "prodTrafficRoute": {"listenerArns": [alb.prod_listener]},
    }
    if test_route:
        pair["testTrafficRoute"] = {"listenerArns": [alb.test_listener]}
    extra: dict[str, Any] = {}
    if alarms:
        extra["alarmConfiguration"] = {"enabled": True, "alarms": [{"name": n} for n in alarms]}
    codedeploy.create_deployment_group(
        applicationName=APPLICATION,
        deploymentGroupName=GROUP,
        serviceRoleArn="arn:aws:iam::123456789012:role/codedeploy",
        deploymentConfigName="CodeDeployDefault.ECSAllAtOnce",
        deploymentStyle={
            "deploymentType": "BLUE_GREEN",
            "deploymentOption": "WITH_TRAFFIC_CONTROL",
        },
        blueGreenDeploymentConfiguration={
            "deploymentReadyOption": {
                "actionOnTimeout": ready,
                "waitTimeInMinutes": 30 if ready == "STOP_DEPLOYMENT" else 0,
            },
            "terminateBlueInstancesOnDeploymentSuccess": {
                "action": blue_action,
                "terminationWaitTimeInMinutes": 1,
            },
        },
        autoRollbackConfiguration={
            "enabled": True,
            "events": [
                "DEPLOYMENT_FAILURE",
                "DEPLOYMENT_STOP_ON_REQUEST",
                "DEPLOYMENT_STOP_ON_ALARM",
            ],
        },
        ecsServices=[{"serviceName": "web", "clusterName": "prod"}],
        loadBalancerInfo={"targetGroupPairInfoList": [pair]},
        **extra,
    )


def register_green(emulator: Emulator, version: str = "v2") -> str:
    ecs = emulator.client("ecs")
    registered = ecs.register_task_definition(
        family="web", containerDefinitions=[blue_container(version)]
    )
    return str(registered["taskDefinition"]["taskDefinitionArn"])


def revision(taskdef_arn: str, hooks: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """An AppSpecContent revision: the content and the SHA-256 of exactly it."""
    content = json.dumps(
        {
            **({"Hooks": hooks} if hooks else {}),
            "version": 0.0,
            "Resources": [
                {
                    "TargetService": {
                        "Type": "AWS::ECS::Service",
                        "Properties": {
                            "TaskDefinition": taskdef_arn,
                            "LoadBalancerInfo": {"ContainerName": "web", "ContainerPort": 8000},
                        },
                    }
                }
            ],
        }
    )
    digest = hashlib.sha256(content.encode()).hexdigest()
    return {
        "revisionType": "AppSpecContent",
        "appSpecContent": {"content": content, "sha256": digest},
    }


def create_deployment(
    emulator: Emulator,
    version: str = "v2",
    hooks: list[dict[str, str]] | None = None,
    **extra: Any,
) -> str:
    """A deployment of a new revision (`version`) made with boto3; its id."""
    answer = emulator.client("codedeploy").create_deployment(
        applicationName=APPLICATION,
        deploymentGroupName=GROUP,
        revision=revision(register_green(emulator, version), hooks),
        **extra,
    )
    return str(answer["deploymentId"])


def until_status(emulator: Emulator, deployment_id: str, status: str) -> None:
    wait_for(lambda: deployment_status(emulator, deployment_id) == status, status)


def deployment_status(emulator: Emulator, deployment_id: str) -> str:
    info = emulator.client("codedeploy").get_deployment(deploymentId=deployment_id)
    return str(info["deploymentInfo"]["status"])
