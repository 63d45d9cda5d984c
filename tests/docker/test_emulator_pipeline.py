"""The generated aws-codedeploy pipeline's build job, then its deploy job, in
gitlab-ci-local against the emulator and the tests' Docker engine: build logs
in with `aws ecr get-login-password`, builds with `--pull` (the base image
comes from the emulator's registry) and pushes to that registry; deploy then
runs green's task from the pushed image, which the engine no longer has
locally, while a steady client on the production listener sees no failure.

Stand-ins for the build job's `docker:24` image and its `docker:dind`
service: the shell executor runs the job's own before_script and script on
this host, with the tests' engine as DOCKER_HOST instead of the service (so
the job's copy of the pipeline, `ci-build.yml`, leaves out `services:`,
which gitlab-ci-local would start as containers on a bridge network) and
an `apk` that accepts only the job's `apk add --no-cache aws-cli` (this
venv's AWS CLI is already first on PATH).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ..emulator import codedeploy_setup as cd
from ..emulator.conftest import Emulator, start_emulator
from ..emulator.project import APP as LOCAL_APP
from ..emulator.project import write_project
from ..emulator.resources import create_alb, wait_for
from ..emulator.steady import SteadyClient
from ..emulator.test_gitlab_pipeline import job_variables, repository, run_job
from ..packaging import PackageIndex, built_wheel, clean_venv, package_index
from .conftest import DockerHarness
from .harness import BASE_IMAGE
from .project import APP
from .test_emulator_registry import docker, login

pytestmark = [pytest.mark.docker, pytest.mark.slow]

PIPELINE = "ci-build.yml"
APK = """#!/bin/sh
[ "$*" = "add --no-cache aws-cli" ] || { echo "stand-in apk: unexpected: $*" >&2; exit 1; }
command -v aws >/dev/null
"""


@pytest.fixture
def docker_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = tmp_path / "docker-config"
    config.mkdir()
    monkeypatch.setenv("DOCKER_CONFIG", str(config))
    return config


def docker_project(root: Path, base: str, test_url: str | None = None) -> Path:
    """tests/emulator's project with its tasks under the Docker driver, and the
    busybox test app (FROM the registry's `base`) as what the build job builds."""
    write_project(root, test_url)
    toml = root / "bluegreen.toml"
    command = f'command = "{sys.executable} {LOCAL_APP}"'
    toml.write_text(toml.read_text().replace(command, 'driver = "docker"\nnetwork = "host"'))
    dockerfile = (APP / "Dockerfile").read_text().replace(f"FROM {BASE_IMAGE}", f"FROM {base}")
    (root / "Dockerfile").write_text(dockerfile)
    shutil.copytree(APP / "www", root / "www", dirs_exist_ok=True)
    (root / "www" / "index.html").write_text("v2\n")
    return root


def stand_ins(root: Path) -> Path:
    root.mkdir()
    (root / "apk").write_text(APK)
    (root / "apk").chmod(0o755)
    (root / "aws").symlink_to(Path(sys.executable).parent / "aws")
    return root


def build_only_pipeline(project_dir: Path) -> None:
    """The generated pipeline less the build job's dind service (see the docstring)."""
    pipeline = yaml.safe_load((project_dir / ".gitlab-ci.yml").read_text())
    assert pipeline["build"]["services"], "the generated build job has its dind service"
    del pipeline["build"]["services"]
    (project_dir / PIPELINE).write_text(yaml.safe_dump(pipeline, sort_keys=False))


def blue_image() -> None:
    """`web:v1`, the image the blue service's task definition names, on the engine."""
    context = Path(os.environ["DOCKER_CONFIG"]).parent / "blue"
    shutil.copytree(APP, context)
    (context / "www" / "index.html").write_text("v1\n")
    docker("build", "--network", "none", "-t", "web:v1", str(context))


def test_the_build_job_pushes_to_the_emulator_and_deploy_runs_that_image(
    tmp_path: Path, docker_harness: DockerHarness, docker_config: Path
) -> None:
    project_dir = tmp_path / "app"
    docker_project(project_dir, "placeholder")
    emulator = start_emulator(tmp_path, project_dir)
    try:
        with package_index(built_wheel(), tmp_path / "index") as index:
            build_and_deploy(emulator, project_dir, index, tmp_path)
    finally:
        assert emulator.stop() == 0
    assert docker_harness.client.containers.list(all=True) == []


def build_and_deploy(emulator: Emulator, project_dir: Path, index: PackageIndex, tmp: Path) -> None:
    ecr = emulator.client("ecr")
    for name in ("base", "web"):
        ecr.create_repository(repositoryName=name)
    registry = login(emulator)
    base = f"{registry}/base:1"
    docker("tag", BASE_IMAGE, base)
    docker("push", base)
    docker("rmi", base)  # `docker build --pull` fetches it from the registry
    blue_image()
    alb = create_alb(emulator)
    cd.create_blue_service(emulator, alb)
    cd.create_group(emulator, alb)
    docker_project(project_dir, base, alb.test_url)
    repository(project_dir)
    build_only_pipeline(project_dir)
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=project_dir, capture_output=True, text=True
    ).stdout.strip()
    variables = job_variables(
        emulator,
        alb,
        index,
        ECR_REGISTRY=registry,
        DOCKER_HOST=os.environ["DOCKER_HOST"],
        DOCKER_TLS_VERIFY="",
        DOCKER_CERT_PATH="",
        DOCKER_CONFIG=os.environ["DOCKER_CONFIG"],
    )
    venv_bin = clean_venv(tmp / "job-python")
    options = ("--file", PIPELINE)
    built = run_job(emulator, project_dir, "build", variables, venv_bin, *options,
                    path_first=stand_ins(tmp / "image"))  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr
    assert "PASS  build" in built.stdout, built.stdout
    listed = ecr.describe_images(repositoryName="web")["imageDetails"]
    assert len(listed) == 1 and len(listed[0]["imageTags"]) == 1, listed
    tag = listed[0]["imageTags"][0]
    assert head.startswith(tag), "tagged with CI_COMMIT_SHORT_SHA"
    image = f"{registry}/web:{tag}"
    docker("rmi", image)  # green's task can only get it from the registry
    with SteadyClient(alb.prod_url) as steady:
        wait_for(lambda: len(steady.answers) > 10, "the steady client's first answers")
        done = run_job(emulator, project_dir, "deploy", variables, venv_bin, *options)
        seen = len(steady.answers)
        wait_for(lambda: len(steady.answers) > seen + 10, "answers after the deployment")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PASS  deploy" in done.stdout, done.stdout
    assert steady.failures == []
    assert steady.answers[0] == "v1" and steady.answers[-1] == "v2", steady.answers[-3:]
    green = emulator.client("ecs").describe_task_definition(taskDefinition="web")
    assert green["taskDefinition"]["containerDefinitions"][0]["image"] == image
