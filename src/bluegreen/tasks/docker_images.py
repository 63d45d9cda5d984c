"""The Docker engine's side of pinned images (`image_pins.py`): blocking SDK calls,
which the Docker driver runs in its own thread pool.

An image the engine lacks is pulled, as ECS pulls what a task names; the
engine's own copy wins, so an image built here is never looked up in a
registry.
"""

from __future__ import annotations

import docker
from docker.errors import DockerException, ImageNotFound
from docker.models.images import Image
from docker.utils import parse_repository_tag

from ..errors import PlatformError, UsageError
from .image_pins import ImagePin

# What a call to the engine may raise: the SDK's errors, and a dropped connection
# (requests' errors are OSErrors) when the engine itself goes away.
ENGINE_ERRORS = (DockerException, OSError)


def ensure_image(client: docker.DockerClient, image: str) -> Image:
    """The engine's copy; pulled only when it has none (e.g. pushed elsewhere)."""
    try:
        return client.images.get(image)
    except ImageNotFound:
        try:
            return client.images.pull(image)  # the SDK splits repository and tag (default latest)
        except ENGINE_ERRORS as exc:
            raise PlatformError(
                f"image {image} is not on the engine and can't be pulled: {explain(exc)}"
            ) from exc


def pin_image(client: docker.DockerClient, container: str, reference: str) -> ImagePin:
    """What `reference` names now, with a registry digest of that very image if any."""
    image = ensure_image(client, reference)
    digests: list[str] = image.attrs.get("RepoDigests") or []
    repository, _ = parse_repository_tag(reference)
    ours = [d for d in digests if d.split("@", 1)[0] == repository]
    digest = next(iter(ours or digests), None)
    return ImagePin(container, reference, str(image.id), digest)


def bring_back(client: docker.DockerClient, revision: str, pin: ImagePin) -> str | None:
    """None when the pinned image is on the engine (pulled again by its digest when
    it was gone); else why it can't be had, naming the image."""
    try:
        client.images.get(pin.image_id)
        return None
    except ImageNotFound:
        pass
    gone = (
        f"revision {revision} runs {pin.reference} (image {pin.short}, container "
        f"{pin.container}), which the Docker engine no longer has"
    )
    if pin.repo_digest is None:
        return f"{gone}, and it was never in a registry to pull it from"
    try:
        pulled = client.images.pull(pin.repo_digest)
    except ENGINE_ERRORS as exc:
        return f"{gone}, and pulling {pin.repo_digest} failed: {explain(exc)}"
    if pulled.id != pin.image_id:
        return f"{gone}; {pin.repo_digest} is now image {pulled.short_id}"
    return None


def bring_back_all(client: docker.DockerClient, revision: str, pins: list[ImagePin]) -> None:
    """Every pinned image present, or a UsageError naming each that is not."""
    missing = [why for pin in pins if (why := bring_back(client, revision, pin))]
    if missing:
        raise UsageError("; ".join(missing) + "; nothing changed")


def explain(exc: Exception) -> str:
    return str(getattr(exc, "explanation", None) or exc).strip()
