"""Connecting to the engine: a missing one says where it looked; `auto` picks by it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bluegreen.errors import PlatformError
from bluegreen.images import connect, engine_answers
from bluegreen.spec.config import BluegreenConfig
from bluegreen.tasks.drivers import driver_for


def test_no_engine_names_the_socket_and_how_to_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/none.sock")
    with pytest.raises(PlatformError, match=r"none\.sock.*start dockerd or point DOCKER_HOST"):
        connect()
    assert engine_answers() is False


@pytest.mark.docker
def test_the_harness_engine_answers(docker_harness) -> None:
    assert engine_answers() is True
    assert connect().version()["Version"]


def _driver_name(tmp_path: Path, choice: str) -> str:
    service = {"name": "web", "container": "web", "container_port": 80}
    config = BluegreenConfig(service=service, local={"driver": choice})
    return driver_for(config, tmp_path).name


def test_auto_falls_back_to_processes_without_an_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/none.sock")
    assert _driver_name(tmp_path, "auto") == "process"


@pytest.mark.docker
def test_auto_picks_docker_when_the_engine_answers(docker_harness, tmp_path: Path) -> None:
    assert _driver_name(tmp_path, "auto") == "docker"
    assert _driver_name(tmp_path, "process") == "process"
