"""`push_image` against a real registry (Debian's docker-registry on 127.0.0.1)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import bcrypt
import docker
import httpx
import pytest

from bluegreen.errors import PlatformError, UsageError
from bluegreen.images import ImageRef, RegistryLogin, build_image, push_image

from .harness import Registry

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def built(docker_harness) -> ImageRef:
    app = Path(__file__).parent / "app"
    ref = ImageRef("pushme", "v1")
    build_image(docker_harness.client, app, ref)
    return ref


@pytest.fixture(scope="module")
def private_registry(docker_harness) -> Iterator[str]:
    """A registry that wants user AWS with moto's ECR password (see test_ecr)."""
    root = Path(docker_harness.root) / "private"
    root.mkdir()
    hashed = bcrypt.hashpw(b"s3cret-token", bcrypt.gensalt(prefix=b"2a")).decode()
    (root / "htpasswd").write_text(f"AWS:{hashed}\n")
    server = Registry(root / "reg", htpasswd=root / "htpasswd")
    try:
        yield server.start()
    finally:
        server.stop()


def test_push_reports_the_digest_the_registry_serves(
    docker_client: docker.DockerClient, registry: str, built: ImageRef
) -> None:
    lines: list[str] = []
    target = ImageRef("team/web", "v1", registry)
    digest = push_image(docker_client, built, target, on_output=lines.append)
    manifest = httpx.head(
        f"http://{registry}/v2/team/web/manifests/v1",
        headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"},
    )
    assert manifest.status_code == 200
    assert manifest.headers["Docker-Content-Digest"] == digest
    assert any("digest: " + digest in line for line in lines)


def test_a_pushed_image_pulls_back_after_the_local_copy_is_gone(
    docker_client: docker.DockerClient, registry: str, built: ImageRef
) -> None:
    target = ImageRef("web", "again", registry)
    push_image(docker_client, built, target)
    docker_client.images.remove(str(target))
    pulled = docker_client.images.pull(target.name, tag=target.tag)
    assert str(target) in pulled.tags


def test_login_credentials_reach_the_registry(
    docker_client: docker.DockerClient, private_registry: str, built: ImageRef
) -> None:
    target = ImageRef("web", "private", private_registry)
    with pytest.raises(PlatformError, match=r"no basic auth credentials|unauthorized"):
        push_image(docker_client, built, target)
    wrong = RegistryLogin(private_registry, "AWS", "not-it")
    with pytest.raises(PlatformError) as raised:
        push_image(docker_client, built, target, login=wrong)
    assert "not-it" not in str(raised.value)
    login = RegistryLogin(private_registry, "AWS", "s3cret-token")
    assert push_image(docker_client, built, target, login=login).startswith("sha256:")
    assert "s3cret-token" not in repr(login)


def test_pushing_an_image_never_built_says_to_build_first(
    docker_client: docker.DockerClient, registry: str
) -> None:
    with pytest.raises(UsageError, match="bluegreen build"):
        push_image(docker_client, ImageRef("never-built", "x"), ImageRef("w", "x", registry))
