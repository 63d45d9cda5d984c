"""Connecting to the engine: a missing one is a PlatformError that says where it looked."""

from __future__ import annotations

from pathlib import Path

import pytest

from bluegreen.errors import PlatformError
from bluegreen.images import connect, engine_answers


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
