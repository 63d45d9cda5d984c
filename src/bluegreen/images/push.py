"""`docker push` through the SDK to ECR or any registry.

Credentials travel only inside the push request (`auth_config`): they are
never written to a file, printed, or kept in a repr.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import docker
from docker.errors import DockerException, ImageNotFound

from ..errors import PlatformError, UsageError
from .reference import ImageRef

Output = Callable[[str], None]


@dataclass(frozen=True)
class RegistryLogin:
    """Credentials for one registry push; the password never shows in a repr."""

    registry: str
    username: str
    password: str = field(repr=False)

    def auth_config(self) -> dict[str, str]:
        return {"username": self.username, "password": self.password}


def push_image(
    client: docker.DockerClient,
    local: ImageRef,
    target: ImageRef,
    *,
    login: RegistryLogin | None = None,
    on_output: Output = lambda line: None,
) -> str:
    """Tag the built `local` image as `target` and push it; the pushed digest."""
    try:
        client.images.get(str(local)).tag(target.name, target.tag)
    except ImageNotFound:
        raise UsageError(f"no image {local} to push; run `bluegreen build` first") from None
    except DockerException as exc:
        raise PlatformError(f"the Docker engine can't tag {local}: {exc}") from exc
    try:
        chunks = client.api.push(
            target.name,
            tag=target.tag,
            stream=True,
            decode=True,
            auth_config=login.auth_config() if login else None,
        )
        return _follow(chunks, target, on_output)
    except DockerException as exc:
        raise PlatformError(f"pushing {target} failed: {exc}") from exc


def _follow(chunks: Iterable[Mapping[str, Any]], target: ImageRef, on_output: Output) -> str:
    digest = None
    for chunk in chunks:
        if "error" in chunk:
            raise PlatformError(f"the registry refused {target}: {str(chunk['error']).strip()}")
        status = chunk.get("status")
        if status and not chunk.get("progressDetail"):  # per-byte progress is noise
            layer = chunk.get("id")
            on_output(f"{layer}: {status}\n" if layer else f"{status}\n")
        digest = chunk.get("aux", {}).get("Digest", digest)
    if digest is None:
        raise PlatformError(f"the registry did not confirm {target} (no digest)")
    return str(digest)
