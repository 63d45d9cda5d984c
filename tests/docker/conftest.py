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
from moto.server import ThreadedMotoServer

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


# Dead loopback proxy and no retries: a call that misses moto fails here (test-harnesses.md §0).
AWS_SAFETY = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_MAX_ATTEMPTS": "1",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "HTTP_PROXY": "http://127.0.0.1:9",
    "NO_PROXY": "127.0.0.1,localhost",
}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """moto in server mode on 127.0.0.1 as every AWS endpoint; its URL."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    for name, value in AWS_SAFETY.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        (tmp_path / name).touch()
        monkeypatch.setenv(name, str(tmp_path / name))
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://{host}:{port}")
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def _restore(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value
