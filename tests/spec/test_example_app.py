"""The example app itself: its routes, and gunicorn serving it on a socket
the test opened (port 0), then exiting cleanly on SIGTERM."""

from __future__ import annotations

import importlib.util
import signal
import socket
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import httpx
import pytest
from dockerfile_parse import DockerfileParser

from .helpers import EXAMPLE

GUNICORN = Path(sys.executable).parent / "gunicorn"


def load_app(monkeypatch: pytest.MonkeyPatch, version: str) -> ModuleType:
    monkeypatch.setenv("APP_VERSION", version)
    spec = importlib.util.spec_from_file_location("example_app", EXAMPLE / "app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_index_shows_the_version_and_health_is_json(monkeypatch: pytest.MonkeyPatch):
    client = load_app(monkeypatch, "v42").app.test_client()
    assert "version v42" in client.get("/").get_data(as_text=True)
    health = client.get("/health")
    assert health.status_code == 200
    assert health.get_json() == {"status": "ok", "version": "v42"}


def test_gunicorn_serves_it_and_stops_on_sigterm():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    process = subprocess.Popen(
        [str(GUNICORN), "--workers", "1", "--bind", f"fd://{listener.fileno()}", "app:app"],
        cwd=EXAMPLE,
        env={"APP_VERSION": "v7", "PATH": str(GUNICORN.parent)},
        pass_fds=[listener.fileno()],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    listener.close()
    try:
        response = httpx.get(f"http://127.0.0.1:{port}/health", timeout=20)
        assert response.json()["version"] == "v7"
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr


def test_dockerfile_is_production_shaped():
    """What the Dockerfile must keep: no image build here (that would need
    PyPI), so its instructions are read with dockerfile-parse."""
    parser = DockerfileParser(str(EXAMPLE / "Dockerfile"))
    instructions = {i["instruction"]: i["value"] for i in parser.structure}
    image, _, tag = parser.baseimage.partition(":")
    major, minor = (int(n) for n in tag.split("-")[0].split(".")[:2])
    assert image == "python" and tag.endswith("-slim") and (major, minor) >= (3, 12)
    assert instructions["USER"] not in ("root", "0")
    assert "HEALTHCHECK" in instructions
    assert parser.cmd and parser.cmd.lstrip().startswith("["), (
        "exec form, so SIGTERM reaches gunicorn"
    )
    assert "gunicorn" in parser.cmd
