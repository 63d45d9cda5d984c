"""build → push → deploy --image under the Docker driver, through the real CLI and daemon.

The images are pushed to the test registry and their local registry tags
removed, so the daemon's Docker driver pulls exactly what was pushed.
"""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import docker
import pytest

from bluegreen.state_dir import StateDir

from ..local.harness import LoadGenerator, Project
from .harness import BASE_IMAGE
from .platform_project import docker_project, our_containers

pytestmark = [pytest.mark.docker, pytest.mark.slow]

CRASHING = f'FROM {BASE_IMAGE}\nCMD ["sh", "-c", "echo starting; exit 1"]\n'


def ship(project: Project, client: docker.DockerClient, registry: str, tag: str) -> str:
    """`bluegreen build` then `push`; the pushed URI, no longer tagged on the engine."""
    assert project.cli("build", "--tag", tag).stdout.strip() == f"web:{tag}"
    uri = project.cli("push", "--tag", tag, "--registry", registry).stdout.strip()
    assert uri == f"{registry}/web:{tag}"
    client.images.remove(uri)
    return uri


def test_pushed_images_deploy_blue_green_and_roll_back_a_crash(
    docker_client: docker.DockerClient, registry: str, tmp_path: Path
) -> None:
    project = docker_project(tmp_path / "web")
    try:
        project.cli("up")  # at once: its listener ports were free when the project was made
        versions = {}
        for version in ("v1", "v2"):
            (project.dir / "www" / "index.html").write_text(f"{version}\n")
            versions[version] = ship(project, docker_client, registry, version)
        (project.dir / "Dockerfile").write_text(CRASHING)
        crashing = ship(project, docker_client, registry, "crash")
        project.cli("deploy", "--image", versions["v1"])
        assert project.version() == "v1"
        with LoadGenerator(project.prod_url) as load:
            project.cli("deploy", "--image", versions["v2"])
        load.assert_no_failures()
        assert set(load.versions) == {"v1", "v2"}, load.versions
        assert project.version() == "v2"
        assert len(our_containers(docker_client, project)) == 2  # blue's are gone
        with LoadGenerator(project.prod_url) as load:
            failed = project.cli("deploy", "--image", crashing, check=False)
        assert failed.returncode == 1, failed.stdout + failed.stderr
        load.assert_no_failures()
        assert set(load.versions) == {"v2"}
    finally:
        project.cli("down", check=False)
    assert our_containers(docker_client, project) == []


def test_a_restarted_daemon_removes_what_a_killed_one_left_and_serves_again(
    docker_client: docker.DockerClient, registry: str, tmp_path: Path
) -> None:
    """Controller and runtime both SIGKILLed (a controller alone is adopted, see
    tests/local/test_control_plane_crash.py): the next runtime removes the containers."""
    project = docker_project(tmp_path / "web")
    try:
        (pid,) = re.findall(r"\(pid (\d+)\)", project.cli("up").stdout)
        (project.dir / "www" / "index.html").write_text("v1\n")
        image = ship(project, docker_client, registry, "v1")
        project.cli("deploy", "--image", image)
        orphans = {c.id for c in docker_client.containers.list()}
        runtime = StateDir.of(project.dir).runtime_pid()
        assert runtime is not None
        for process in (int(pid), runtime):
            os.kill(process, signal.SIGKILL)
        assert {c.id for c in docker_client.containers.list()} == orphans  # left running
        project.cli("up")
        assert project.version() == "v1"
        survivors = {c.id for c in docker_client.containers.list(all=True)}
        assert len(survivors) == 2 and not survivors & orphans
    finally:
        project.cli("down", check=False)
    assert our_containers(docker_client, project) == []
