"""The emulator's ECR registry with the real Docker engine: `docker login` with
GetAuthorizationToken's password, `docker push` of a locally built image,
`docker pull` back with the same digest, and ECR's image calls answering
from what was pushed; then `bluegreen push` through the same login, and an
ECS task run by the Docker driver from the registry's image URI."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ..emulator.conftest import Emulator, start_emulator
from ..emulator.resources import Alb, create_alb, wait_for
from .conftest import DockerHarness
from .project import bluegreen, make_project

pytestmark = pytest.mark.docker

APP = Path(__file__).parent / "app"


@pytest.fixture
def docker_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A Docker client config of the test's own, so `docker login` writes nowhere else;
    the emulator started after this inherits it (its Docker driver pulls with it)."""
    config = tmp_path / "docker-config"
    config.mkdir()
    monkeypatch.setenv("DOCKER_CONFIG", str(config))
    return config


@pytest.fixture
def ecr_emulator(
    tmp_path: Path, docker_harness: DockerHarness, docker_config: Path
) -> Iterator[Emulator]:
    running = start_emulator(tmp_path)
    yield running
    assert running.stop() == 0


def docker(
    *args: str, check: bool = True, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        ["docker", *args], input=stdin, capture_output=True, text=True, timeout=300, env=os.environ
    )
    if check:
        assert done.returncode == 0, f"docker {' '.join(args)}: {done.stdout}{done.stderr}"
    return done


def login(emulator: Emulator) -> str:
    """`aws ecr get-login-password | docker login`, with boto3 for the AWS CLI; the registry."""
    data = emulator.client("ecr").get_authorization_token()["authorizationData"][0]
    user, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
    registry = data["proxyEndpoint"].removeprefix("http://")
    docker("login", "--username", user, "--password-stdin", registry, stdin=password)
    return registry


def build(tag: str, version: str = "v1") -> None:
    context = Path(os.environ["DOCKER_CONFIG"]).parent / f"ctx-{version}"
    if not context.exists():
        subprocess.run(["cp", "-r", str(APP), str(context)], check=True)
        (context / "www" / "version").write_text(version + "\n")
    docker("build", "--network", "none", "-t", tag, str(context))


def pushed_digest(output: str) -> str:
    found = re.search(r"digest: (sha256:[0-9a-f]{64})", output)
    assert found, output
    return found.group(1)


def test_docker_pushes_and_pulls_back_the_same_digest(ecr_emulator: Emulator) -> None:
    ecr = ecr_emulator.client("ecr")
    ecr.create_repository(repositoryName="team/web")
    registry = login(ecr_emulator)
    image = f"{registry}/team/web:v1"
    build(image)
    digest = pushed_digest(docker("push", image).stdout)
    docker("rmi", image)
    docker("pull", image)
    inspected = docker("image", "inspect", "--format", "{{json .RepoDigests}}", image).stdout
    assert f"{registry}/team/web@{digest}" in inspected

    details = ecr.describe_images(repositoryName="team/web")["imageDetails"]
    assert [(d["imageDigest"], d["imageTags"]) for d in details] == [(digest, ["v1"])]
    assert details[0]["imageSizeInBytes"] > 1_000_000  # the busybox layer
    listed = ecr.list_images(repositoryName="team/web")["imageIds"]
    assert listed == [{"imageDigest": digest, "imageTag": "v1"}]
    got = ecr.batch_get_image(repositoryName="team/web", imageIds=[{"imageTag": "v1"}])
    manifest = got["images"][0]["imageManifest"]
    assert "sha256:" + hashlib.sha256(manifest.encode()).hexdigest() == digest
    assert got["failures"] == []


def test_the_registry_wants_the_login_and_an_existing_repository(ecr_emulator: Emulator) -> None:
    ecr = ecr_emulator.client("ecr")
    registry = ecr.get_authorization_token()["authorizationData"][0]["proxyEndpoint"]
    ping = httpx.get(f"{registry}/v2/", timeout=10)
    assert ping.status_code == 401
    assert ping.headers["WWW-Authenticate"].startswith("Basic ")
    address = login(ecr_emulator)
    build(f"{address}/nowhere:v1")
    refused = docker("push", f"{address}/nowhere:v1", check=False)
    assert refused.returncode != 0
    assert "does not exist" in refused.stderr + refused.stdout
    with pytest.raises(ecr.exceptions.RepositoryNotFoundException):
        ecr.describe_images(repositoryName="nowhere")
    ecr.create_repository(repositoryName="web")
    with pytest.raises(ecr.exceptions.ImageNotFoundException):
        ecr.describe_images(repositoryName="web", imageIds=[{"imageTag": "v9"}])


def test_bluegreen_push_logs_in_through_the_emulator_and_the_image_is_listed(
    ecr_emulator: Emulator, tmp_path: Path
) -> None:
    project = make_project(tmp_path / "app")
    env = {**ecr_emulator.env, "AWS_MAX_ATTEMPTS": "1"}
    assert bluegreen("build", str(project), "--tag", "p1", env=env).returncode == 0
    refused = bluegreen("push", str(project), "--tag", "p1", env=env)
    assert refused.returncode == 4, refused.stderr
    assert "does not exist" in refused.stderr
    ecr = ecr_emulator.client("ecr")
    ecr.create_repository(repositoryName="flask-app")
    out = bluegreen("push", str(project), "--tag", "p1", env=env)
    assert out.returncode == 0, out.stderr
    registry = ecr.get_authorization_token()["authorizationData"][0]["proxyEndpoint"]
    assert out.stdout == f"{registry.removeprefix('http://')}/flask-app:p1\n"
    listed = ecr.list_images(repositoryName="flask-app")["imageIds"]
    assert [i["imageTag"] for i in listed] == ["p1"]


def test_the_docker_driver_runs_an_ecs_task_from_the_registry(
    tmp_path: Path, docker_harness: DockerHarness, docker_config: Path
) -> None:
    edits = {'driver = "process"': 'driver = "docker"\nnetwork = "host"'}
    project = make_project(tmp_path / "app", toml_edits=edits)
    emulator = start_emulator(tmp_path, project)
    try:
        ecr = emulator.client("ecr")
        ecr.create_repository(repositoryName="web")
        image = f"{login(emulator)}/web:from-ecr"
        build(image, "from-ecr")
        docker("push", image)
        docker("rmi", image)  # the task's image can only come from the registry now
        alb = create_alb(emulator)
        run_service(emulator, alb, image)
        answer = wait_for(lambda: _version(alb.prod_url), "the task answering on the listener")
        assert answer == "from-ecr\n"
        running = docker_harness.client.containers.list(filters={"ancestor": image})
        assert len(running) == 1
    finally:
        assert emulator.stop() == 0
    assert docker_harness.client.containers.list(all=True) == []


def run_service(emulator: Emulator, alb: Alb, image: str) -> None:
    ecs = emulator.client("ecs")
    ecs.create_cluster(clusterName="prod")
    container = {
        "name": "web",
        "image": image,
        "essential": True,
        "memory": 128,
        "stopTimeout": 2,
        "portMappings": [{"containerPort": 8000}],
    }
    arn = ecs.register_task_definition(family="web", containerDefinitions=[container])[
        "taskDefinition"
    ]["taskDefinitionArn"]
    ecs.create_service(
        cluster="prod",
        serviceName="web",
        taskDefinition=arn,
        desiredCount=1,
        launchType="FARGATE",
        loadBalancers=[
            {"targetGroupArn": alb.blue_group, "containerName": "web", "containerPort": 8000}
        ],
    )


def _version(url: str) -> str | None:
    try:
        answer = httpx.get(f"{url}/version", timeout=5)
    except httpx.HTTPError:
        return None
    return answer.text if answer.status_code == 200 else None
