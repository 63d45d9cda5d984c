"""Connecting to a Docker engine, the one place "no engine" becomes a `PlatformError`."""

from __future__ import annotations

import os

import docker
from docker.errors import DockerException

from ..errors import PlatformError

# Long enough for a build step or a `docker stop` with a generous stopTimeout.
API_TIMEOUT = 300.0


def connect(timeout: float = API_TIMEOUT, max_pool_size: int = 10) -> docker.DockerClient:
    """A client for the engine `DOCKER_HOST` names (else the default socket), checked to answer.

    `max_pool_size`: connections kept per engine; each streamed log or event holds one.
    """
    try:
        client = docker.from_env(timeout=int(timeout), max_pool_size=max_pool_size)
        client.ping()
    except DockerException as exc:
        where = os.environ.get("DOCKER_HOST") or "the default socket"
        raise PlatformError(
            f"no Docker engine answers at {where} ({_first_line(exc)}); "
            "start dockerd or point DOCKER_HOST at a running engine"
        ) from exc
    return client


def engine_answers() -> bool:
    """Whether an engine answers now; `local.driver = "auto"` picks Docker on this."""
    try:
        connect(timeout=5).close()
    except PlatformError:
        return False
    return True


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
