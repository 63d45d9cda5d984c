"""AWS test harness: moto in server mode on 127.0.0.1, the network-safety
environment (dummy credentials, dead proxy, loopback endpoint), a project
on disk, a real test listener, and the progression doubles attached to the
boto3 session the platforms create."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer

from bluegreen.aws import session as aws_session
from bluegreen.engine.events import Event
from bluegreen.platform import DeployRequest, Platform
from bluegreen.spec.project import Project, load_project

from ..appspec import APPSPEC
from .codedeploy_double import CodeDeployDouble
from .ecs_double import EcsDouble
from .load_balancer import Alb, create_alb

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:v2"
ACCESS_KEY = "AKIABLUEGREENTEST000"
SECRET_KEY = "bluegreen/test+secret/never-printed-0123456789"

CONFIG = """\
[service]
name = "web"
desired_count = 2
container = "web"
container_port = 8000

[health_check]
path = "/health"
interval = "5s"
timeout = "2s"
healthy_threshold = 2
matcher = "200-399"

[deployment]
config = "CodeDeployDefault.ECSCanary10Percent5Minutes"
termination_wait = "5m"

[validation]
consecutive_successes = 3
interval = "10ms"
deadline = "1s"
{validation}

[aws]
region = "us-east-1"
cluster = "prod"
service = "web"
codedeploy_application = "AppECS-prod-web"
codedeploy_group = "DgpECS-prod-web"
{listener}
"""

TASKDEF = """\
{
  "family": "web",
  "networkMode": "awsvpc",
  "requiresCompatibilities": ["FARGATE"],
  "cpu": "256",
  "memory": "512",
  "containerDefinitions": [
    {"name": "web", "image": "<IMAGE_URI>", "essential": true, "memory": 512,
     "portMappings": [{"containerPort": 8000, "protocol": "tcp"}]}
  ]
}
"""


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(autouse=True)
def aws_env(moto_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    httpx.post(f"{moto_url}/moto-api/reset", timeout=10)
    (tmp_path / "aws-config").write_text("")
    (tmp_path / "aws-credentials").write_text("")
    for name in list(os.environ):
        # A profile, a per-service endpoint or a container role would bypass
        # moto; the harness switch stays, so CI fails where a tool is missing.
        if name.startswith(("AWS_", "BLUEGREEN_")) and name != "BLUEGREEN_REQUIRE_HARNESSES":
            monkeypatch.delenv(name)
    legacy = ("TEST_LB_DNS", "CODEDEPLOY_APP", "CODEDEPLOY_GROUP", "ECR_REPO")
    for name in ("CI_COMMIT_SHA", "CI_PIPELINE_URL", *legacy):
        monkeypatch.delenv(name, raising=False)
    env = {
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_CONFIG_FILE": str(tmp_path / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "aws-credentials"),
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9",
        "NO_PROXY": "127.0.0.1,localhost",
        "AWS_ENDPOINT_URL": moto_url,
        "BLUEGREEN_AWS_POLL": "5ms",
        "BLUEGREEN_AWS_POLL_MAX": "20ms",
        "BLUEGREEN_AWS_TIMEOUT": "60s",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return moto_url


class Listener:
    """A real HTTP server on 127.0.0.1 standing in for the ALB test listener."""

    def __init__(self) -> None:
        self.status = 200
        self.requests = 0
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                listener.requests += 1
                self.send_response(listener.status if self.path == "/health" else 404)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


def write_project(root: Path, listener_url: str | None, validation: str = "") -> Project:
    listener_line = f'test_listener_url = "{listener_url}"' if listener_url else ""
    config = CONFIG.format(listener=listener_line, validation=validation)
    (root / "bluegreen.toml").write_text(config)
    (root / "taskdef.json").write_text(TASKDEF)
    (root / "appspec.yaml").write_text(APPSPEC)
    return load_project(root, env={})


@pytest.fixture
def project(tmp_path: Path, listener: Listener) -> Project:
    root = tmp_path / "app"
    root.mkdir()
    return write_project(root, listener.url)


@pytest.fixture
def codedeploy(monkeypatch: pytest.MonkeyPatch) -> Iterator[CodeDeployDouble]:
    double = CodeDeployDouble()
    _attach(monkeypatch, double)
    yield double
    assert double.problems == []


@pytest.fixture
def ecs(monkeypatch: pytest.MonkeyPatch) -> Iterator[EcsDouble]:
    double = EcsDouble()
    _attach(monkeypatch, double)
    yield double
    assert double.problems == []


def _attach(monkeypatch: pytest.MonkeyPatch, double: Any) -> None:
    def session(region: str | None) -> boto3.session.Session:
        made = boto3.session.Session(region_name=region)
        double.attach(made)
        return made

    monkeypatch.setattr(aws_session, "make_boto_session", session)


@pytest.fixture
def alb() -> Alb:
    return create_alb()


@pytest.fixture
def codedeploy_group(alb: Alb) -> None:
    create_codedeploy_group(alb)


def create_codedeploy_group(alb: Alb, test_route: bool = True) -> None:
    """The application and deployment group, in moto, as the template creates them."""
    client = boto3.client("codedeploy")
    client.create_application(applicationName="AppECS-prod-web", computePlatform="ECS")
    client.create_deployment_group(
        applicationName="AppECS-prod-web",
        deploymentGroupName="DgpECS-prod-web",
        serviceRoleArn="arn:aws:iam::123456789012:role/codedeploy",
        deploymentConfigName="CodeDeployDefault.ECSAllAtOnce",
        deploymentStyle={
            "deploymentType": "BLUE_GREEN",
            "deploymentOption": "WITH_TRAFFIC_CONTROL",
        },
        blueGreenDeploymentConfiguration={
            "deploymentReadyOption": {
                "actionOnTimeout": "STOP_DEPLOYMENT",
                "waitTimeInMinutes": 30,
            },
            "terminateBlueInstancesOnDeploymentSuccess": {
                "action": "TERMINATE",
                "terminationWaitTimeInMinutes": 5,
            },
        },
        ecsServices=[{"serviceName": "web", "clusterName": "prod"}],
        loadBalancerInfo=alb.codedeploy_info(test_route),
    )


@pytest.fixture
def ecs_service(alb: Alb) -> None:
    create_ecs_service(alb)


def create_ecs_service(alb: Alb, test_rule: bool = True) -> None:
    client = boto3.client("ecs")
    client.create_cluster(clusterName="prod")
    client.register_task_definition(
        family="web",
        containerDefinitions=[{"name": "web", "image": "web:v1", "memory": 512}],
    )
    client.create_service(
        cluster="prod",
        serviceName="web",
        taskDefinition="web",
        desiredCount=0,
        deploymentController={"type": "ECS"},
        loadBalancers=[alb.ecs_load_balancer(test_rule)],
    )


def deploy_and_follow(platform: Platform, **request: Any) -> tuple[str, list[Event]]:
    """Deploy IMAGE and follow to the end, as `bluegreen deploy` does."""
    deployment_id = platform.deploy(DeployRequest(**{"image": IMAGE, **request}))
    return deployment_id, list(platform.events(deployment_id, follow=True))


def with_config(project: Project, section: str, **values: Any) -> Project:
    """The project with some bluegreen.toml values of one section changed."""
    config = project.config
    changed = getattr(config, section).model_copy(update=values)
    return replace(project, config=config.model_copy(update={section: changed}))
