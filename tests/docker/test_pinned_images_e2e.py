"""A revision of images runs the image its tag named when it was registered, and
`deploy --image` under the process driver runs that image through Docker;
through the real CLI, daemon and engine.

The images are built here (`bluegreen build`) and never pushed: a rebuilt
tag leaves the old image on the engine untagged, which a rollback still
runs, and an image removed since cannot be had again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from ..local.harness import LoadGenerator, Project, events
from .platform_project import docker_project, our_containers

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def build(project: Project, client: docker.DockerClient, content: str, tag: str = "v1") -> str:
    """`bluegreen build --tag TAG` of an index.html saying `content`; the image's id."""
    (project.dir / "www" / "index.html").write_text(f"{content}\n")
    assert project.cli("build", "--tag", tag).stdout.strip() == f"web:{tag}"
    return str(client.images.get(f"web:{tag}").id)


@contextlib.contextmanager
def down_afterwards(project: Project, client: docker.DockerClient) -> Iterator[None]:
    """`down` at the end, however the test went; then none of its containers is left."""
    try:
        yield
    finally:
        project.cli("down", check=False)
    assert our_containers(client, project) == []


def history(project: Project) -> list[dict[str, Any]]:
    """`history --output json`, newest first."""
    return list(events(project.cli("history", "--output", "json").stdout))


def deploy_a_rebuilt_tag(project: Project, client: docker.DockerClient) -> tuple[str, str]:
    """`up`; web:v1 built saying `one` and deployed, then built again saying `two` and
    deployed under a steady client; the two images' ids."""
    project.cli("up")
    one = build(project, client, "one")
    project.cli("deploy", "--image", "web:v1")
    assert project.version() == "one"
    two = build(project, client, "two")  # the same tag, other content
    assert two != one
    with LoadGenerator(project.prod_url) as load:
        project.cli("deploy", "--image", "web:v1")
    load.assert_no_failures()
    assert (project.status()["revision"], project.version()) == ("web:2", "two")
    return one, two


def test_a_rebuilt_tag_is_a_new_revision_and_rollback_runs_the_old_image(
    docker_client: docker.DockerClient, tmp_path: Path
) -> None:
    project = docker_project(tmp_path / "web")
    with down_afterwards(project, docker_client):
        one, two = deploy_a_rebuilt_tag(project, docker_client)
        with LoadGenerator(project.prod_url) as load:
            project.cli("rollback")  # web:v1 names `two` now; `one` is there untagged
        load.assert_no_failures()
        assert (project.status()["revision"], project.version()) == ("web:1", "one")
        newest = history(project)[0]
        assert (newest["green_image"], newest["blue_image"]) == (one[7:19], two[7:19])
        status = project.cli("status").stdout
        assert f"web:2 ({two[7:19]}) → web:1 ({one[7:19]})" in status, status


def test_a_revision_whose_image_is_gone_is_refused_naming_it(
    docker_client: docker.DockerClient, tmp_path: Path
) -> None:
    project = docker_project(tmp_path / "web")
    with down_afterwards(project, docker_client):
        one, _ = deploy_a_rebuilt_tag(project, docker_client)
        docker_client.images.remove(one, force=True)
        before = project.status()
        refused = project.cli("rollback", check=False)
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert f"revision web:1 runs web:v1 (image {one[7:19]}" in refused.stderr
        assert "no longer has" in refused.stderr
        assert project.status() == before
        assert project.version() == "two"


def test_image_under_the_process_driver_runs_through_docker(
    docker_client: docker.DockerClient, tmp_path: Path
) -> None:
    project = docker_project(tmp_path / "web", driver="process")
    with down_afterwards(project, docker_client):
        project.cli("up")
        project.cli("deploy")  # the app's files, as processes: the local app says v0
        assert project.version() == "v0"
        image = build(project, docker_client, "v2", tag="v2")
        with LoadGenerator(project.prod_url) as load:
            project.cli("deploy", "--image", "web:v2")
        load.assert_no_failures()
        assert set(load.versions) == {"v0", "v2"}, load.versions
        assert project.version() == "v2"
        assert our_containers(docker_client, project) == ["web:2", "web:2"]
        assert history(project)[0]["green_image"] == image[7:19]
        left = {c.id for c in docker_client.containers.list()}
        project.crash_and_up()  # the runtime kept them serving; the new controller adopts them
        assert project.version() == "v2"
        assert left <= {c.id for c in docker_client.containers.list()}
        assert our_containers(docker_client, project) == ["web:2", "web:2"]
        with LoadGenerator(project.prod_url) as load:
            project.cli("rollback")
        load.assert_no_failures()
        assert project.version() == "v0"
        assert our_containers(docker_client, project) == []
