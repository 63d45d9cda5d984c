"""`bluegreen build` and `bluegreen push` as a user runs them: a subprocess, a real engine."""

from __future__ import annotations

import os
from pathlib import Path

import docker
import httpx
import pytest

from bluegreen.images.pushed import last_pushed

from .conftest import AWS_SAFETY
from .project import bluegreen, git_commit, make_project

pytestmark = pytest.mark.docker


def env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k != "CI_COMMIT_SHORT_SHA"}
    return {**base, **extra}


def test_build_tags_with_the_commit_and_prints_only_the_reference(
    docker_client: docker.DockerClient, tmp_path: Path
) -> None:
    project = make_project(tmp_path / "app")
    sha = git_commit(project)
    out = bluegreen("build", str(project), env=env())
    assert out.returncode == 0, out.stderr
    assert out.stdout == f"flask-app:{sha}\n"
    assert "Step 2/3 : COPY www /www" in out.stderr
    assert docker_client.images.get(f"flask-app:{sha}")


def test_build_takes_the_ci_commit_sha(docker_client: docker.DockerClient, tmp_path: Path) -> None:
    project = make_project(tmp_path / "app")
    out = bluegreen("build", str(project), env=env(CI_COMMIT_SHORT_SHA="c1c1c1c1"))
    assert out.returncode == 0, out.stderr
    assert out.stdout == "flask-app:c1c1c1c1\n"


def test_a_failing_build_exits_2_naming_dockerfile_and_step(
    docker_client: docker.DockerClient, tmp_path: Path
) -> None:
    project = make_project(tmp_path / "app")
    (project / "Dockerfile").write_text("FROM bluegreen-test/busybox:1\nRUN exit 5\n")
    out = bluegreen("build", str(project), "--tag", "bad", env=env())
    assert out.returncode == 2
    assert f"{project}/Dockerfile: Step 2/2 : RUN exit 5:" in out.stderr
    assert "returned a non-zero code: 5" in out.stderr
    assert "Traceback" not in out.stderr


def test_no_tag_outside_a_checkout_says_to_pass_one(tmp_path: Path) -> None:
    project = make_project(tmp_path / "app")
    out = bluegreen("build", str(project), env=env())
    assert out.returncode == 2
    assert "pass --tag" in out.stderr


def test_a_bad_tag_is_a_usage_error(tmp_path: Path) -> None:
    out = bluegreen("build", str(make_project(tmp_path / "app")), "--tag", "-x", env=env())
    assert out.returncode == 2
    assert "'-x' is not an image tag" in out.stderr


def test_no_engine_exits_4_naming_where_it_looked(tmp_path: Path) -> None:
    project = make_project(tmp_path / "app")
    out = bluegreen(
        "build", str(project), "--tag", "t", env=env(DOCKER_HOST=f"unix://{tmp_path}/x.sock")
    )
    assert out.returncode == 4
    assert "x.sock" in out.stderr and "Traceback" not in out.stderr


def test_push_prints_the_uri_the_registry_now_serves(
    docker_client: docker.DockerClient, registry: str, tmp_path: Path
) -> None:
    project = make_project(tmp_path / "app")
    assert bluegreen("build", str(project), "--tag", "p1", env=env()).returncode == 0
    out = bluegreen("push", str(project), "--tag", "p1", "--registry", registry, env=env())
    assert out.returncode == 0, out.stderr
    assert out.stdout == f"{registry}/flask-app:p1\n"
    tags = httpx.get(f"http://{registry}/v2/flask-app/tags/list").json()["tags"]
    assert "p1" in tags
    assert last_pushed(project) == f"{registry}/flask-app:p1"


def test_push_before_build_says_to_build(docker_client: docker.DockerClient, registry: str,
                                         tmp_path: Path) -> None:  # fmt: skip
    project = make_project(tmp_path / "app")
    out = bluegreen("push", str(project), "--tag", "never", "--registry", registry, env=env())
    assert out.returncode == 2
    assert "run `bluegreen build` first" in out.stderr


def test_push_without_registry_or_ecr_repository_is_a_usage_error(tmp_path: Path) -> None:
    project = make_project(tmp_path / "app", toml_edits={'ecr_repository = "flask-app"': ""})
    out = bluegreen("push", str(project), "--tag", "t", env=env(**AWS_SAFETY))
    assert out.returncode == 2
    assert "pass --registry" in out.stderr
