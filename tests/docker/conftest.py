"""Session fixtures: one dockerd and one registry for all Docker tests, stopped afterwards."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import pytest

from .harness import Engine, Registry, import_busybox, missing_piece, unavailable

APP = Path(__file__).parent / "app"


@dataclass(frozen=True)
class DockerHarness:
    client: docker.DockerClient
    base_url: str
    root: Path
    base_image: str


@pytest.fixture(scope="session")
def docker_harness() -> Iterator[DockerHarness]:
    reason = missing_piece()
    if reason:
        unavailable(reason)
    root = Path(tempfile.mkdtemp(prefix="bgd", dir="/tmp"))
    engine = Engine(root)
    saved = os.environ.get("DOCKER_HOST")
    try:
        client = engine.start()
        os.environ["DOCKER_HOST"] = engine.base_url
        yield DockerHarness(client, engine.base_url, root, import_busybox(client))
        for container in client.containers.list(all=True):
            container.remove(force=True)
        client.close()
    finally:
        engine.stop()
        _restore("DOCKER_HOST", saved)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def registry(docker_harness: DockerHarness) -> Iterator[str]:
    """`127.0.0.1:PORT` of an open registry (docker treats 127.0.0.0/8 as insecure-allowed)."""
    server = Registry(docker_harness.root / "reg")
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture
def docker_client(docker_harness: DockerHarness) -> Iterator[docker.DockerClient]:
    """The engine's client; the test fails if it leaves a container behind."""
    yield docker_harness.client
    left = docker_harness.client.containers.list(all=True)
    for container in left:
        container.remove(force=True)
    assert not left, f"containers left behind: {[c.name for c in left]}"


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    """A copy of the test app's build context, free to edit (e.g. www/version)."""
    return Path(shutil.copytree(APP, tmp_path / "app"))


def _restore(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value
