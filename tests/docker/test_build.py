"""`build_image` against a real engine: streamed output, tags, failures naming the step."""

from __future__ import annotations

from pathlib import Path

import docker
import pytest

from bluegreen.errors import SpecError
from bluegreen.images import ImageRef, build_image

pytestmark = pytest.mark.docker


def test_build_tags_the_image_and_streams_each_step(
    docker_client: docker.DockerClient, app_dir: Path
) -> None:
    lines: list[str] = []
    image_id = build_image(
        docker_client, app_dir, ImageRef("web", "abc123"), on_output=lines.append
    )
    image = docker_client.images.get("web:abc123")
    assert image.id == image_id
    assert any(line.startswith("Step 2/3 : COPY www /www") for line in lines)
    out = docker_client.containers.run("web:abc123", ["cat", "/www/version"], remove=True)
    assert out == b"blue\n"


def test_a_failing_step_is_named_with_its_dockerfile(
    docker_client: docker.DockerClient, app_dir: Path
) -> None:
    (app_dir / "Dockerfile").write_text(
        "FROM bluegreen-test/busybox:1\nRUN echo building\nRUN false\nCOPY www /www\n"
    )
    with pytest.raises(SpecError) as raised:
        build_image(docker_client, app_dir, ImageRef("web", "broken"))
    (problem,) = raised.value.problems
    assert problem.file == str(app_dir / "Dockerfile")
    assert problem.field == "Step 3/4 : RUN false"
    assert "returned a non-zero code: 1" in problem.message
    with pytest.raises(docker.errors.ImageNotFound):
        docker_client.images.get("web:broken")


def test_an_unknown_instruction_is_a_spec_error(
    docker_client: docker.DockerClient, app_dir: Path
) -> None:
    (app_dir / "Dockerfile").write_text("FORM bluegreen-test/busybox:1\n")
    with pytest.raises(SpecError, match="unknown instruction"):
        build_image(docker_client, app_dir, ImageRef("web", "typo"))


def test_a_missing_base_image_is_a_spec_error(
    docker_client: docker.DockerClient, app_dir: Path
) -> None:
    (app_dir / "Dockerfile").write_text("FROM 127.0.0.1:9/nothing-here:1\n")
    with pytest.raises(SpecError) as raised:
        build_image(docker_client, app_dir, ImageRef("web", "nobase"))
    assert raised.value.problems[0].field.startswith("Step 1/1 : FROM")


def test_no_dockerfile_is_a_spec_error_before_any_build(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="Dockerfile: file not found"):
        build_image(
            docker.DockerClient(base_url="unix:///nonexistent", version="1.41"),
            tmp_path,
            ImageRef("w", "t"),
        )


def test_the_context_honours_dockerignore_and_leaves_out_bluegreen_state(
    docker_client: docker.DockerClient, app_dir: Path
) -> None:
    (app_dir / ".bluegreen").mkdir()
    (app_dir / ".bluegreen" / "state.db").write_text("local state")
    (app_dir / "secret.txt").write_text("not for the image")
    (app_dir / ".dockerignore").write_text("# comment\nsecret.txt\n")
    (app_dir / "Dockerfile").write_text("FROM bluegreen-test/busybox:1\nCOPY . /ctx\n")
    build_image(docker_client, app_dir, ImageRef("web", "ctx"))
    listing = docker_client.containers.run("web:ctx", ["ls", "-a", "/ctx"], remove=True).split()
    assert b"www" in listing and b"Dockerfile" in listing
    assert b".bluegreen" not in listing and b"secret.txt" not in listing
