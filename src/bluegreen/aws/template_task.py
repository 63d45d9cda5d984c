"""The stack's own task definition: the revision the service starts with.

It has to pass the target group's health check, or the service never turns
healthy and the stack never settles. The default first image is a public
nginx, which listens on port 80 and answers 404 for most paths, while the
target group checks the container port and `[health_check] path`. So,
unless `--image` names another first image (which then has to answer the
check itself), the container's command replaces nginx's server with one
that listens on the container port and answers every path with the
matcher's first code.

The service's TaskDefinition is pinned after the first run: CloudFormation
cannot update a CODE_DEPLOY service's task definition ("Unable to update
task definition on services with a CODE_DEPLOY deployment controller"), so
a re-run whose task definition changed (another image, a new bluegreen)
would fail. `ServiceTaskDefinition` is empty on the first run, where the
service takes the stack's revision; bootstrap then passes the revision the
service was created with (see `bootstrap.pinned_parameters`). The replaced
revisions are retained, so the pinned one stays registered.
"""

from __future__ import annotations

from typing import Any

from ..spec.config import BluegreenConfig, parse_matcher
from .cfn import attr, choose, ref, role

DEFAULT_IMAGE = "public.ecr.aws/nginx/nginx:stable"
PINNED = "ServiceTaskDefinition"
NGINX_CONF = "/etc/nginx/conf.d/default.conf"


def task_parameters() -> dict[str, Any]:
    return {
        "ImageUri": {
            "Type": "String",
            "Description": "Image of the first revision; later ones come from bluegreen deploy",
            "Default": DEFAULT_IMAGE,
        },
        PINNED: {
            "Type": "String",
            "Description": "The service's task definition after the first run (bootstrap sets it)",
            "Default": "",
        },
    }


def task_conditions() -> dict[str, Any]:
    return {
        "FirstRun": {"Fn::Equals": [ref(PINNED), ""]},
        "DefaultImage": {"Fn::Equals": [ref("ImageUri"), DEFAULT_IMAGE]},
    }


def service_task_definition() -> dict[str, Any]:
    return choose("FirstRun", ref("TaskDefinition"), ref(PINNED))


def task_resources(config: BluegreenConfig) -> dict[str, Any]:
    service = config.service
    container = {
        "Name": service.container,
        "Image": ref("ImageUri"),
        "Command": choose("DefaultImage", first_command(config), ref("AWS::NoValue")),
        "Essential": True,
        "PortMappings": [{"ContainerPort": service.container_port, "Protocol": "tcp"}],
        "LogConfiguration": {
            "LogDriver": "awslogs",
            "Options": {
                "awslogs-group": ref("LogGroup"),
                "awslogs-region": ref("AWS::Region"),
                "awslogs-stream-prefix": service.name,
            },
        },
    }
    return {
        "TaskExecutionRole": role(
            "ecs-tasks.amazonaws.com",
            "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
        ),
        "TaskDefinition": {
            "Type": "AWS::ECS::TaskDefinition",
            "DeletionPolicy": "Delete",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "Family": service.name,
                "RequiresCompatibilities": ["FARGATE"],
                "NetworkMode": "awsvpc",
                "Cpu": "256",
                "Memory": "512",
                "ExecutionRoleArn": attr("TaskExecutionRole", "Arn"),
                "ContainerDefinitions": [container],
            },
        },
    }


def first_command(config: BluegreenConfig) -> list[str]:
    """nginx with `first_server` as its only server (the image's entrypoint
    runs any command that is not `nginx` as is)."""
    script = f'printf "%s" "$0" > {NGINX_CONF} && exec nginx -g "daemon off;"'
    return ["/bin/sh", "-c", script, first_server(config)]


def first_server(config: BluegreenConfig) -> str:
    """An nginx server answering the target group's check on every path."""
    status = parse_matcher(config.health_check.matcher)[0][0]
    return (
        f"server {{ listen {config.service.container_port}; location / {{ return {status}; }} }}\n"
    )
