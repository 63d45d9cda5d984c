"""A revision's images, pinned: what each container's image reference meant when
the revision was registered.

A tag moves: `web:v2` rebuilt with other code is another image under the
same name. If a revision kept only the tag, `rollback` would run whatever
the tag names today. So under the Docker driver a revision records, for
each container, the image id the reference resolved to (and its registry
digest, when the image came from or went to a registry), the ids are part
of the revision's identity, and its tasks run the id, never the tag. An id
the engine no longer has is pulled again by its registry digest; without
one it is an error naming the image, since nothing else can bring the same
bytes back.

This module is pure (no engine); `docker_images.py` does the SDK's side.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol, runtime_checkable

from ..spec.task_definition import TaskDefinition
from .driver import TaskDriver

SHORT_ID = 12
"""As `docker images` shows an id."""


@dataclass(frozen=True)
class ImagePin:
    container: str
    reference: str
    """As the task definition names it (`web:v2`, `registry/web@sha256:…`)."""
    image_id: str
    """`sha256:…`: the image itself, whatever its tags say later."""
    repo_digest: str | None = None
    """`registry/web@sha256:…` when the engine knows one: how to pull it again."""

    @property
    def short(self) -> str:
        return self.image_id.removeprefix("sha256:")[:SHORT_ID]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImagePin:
        return cls(**data)


class ImageEngine(Protocol):
    """What pins images and brings them back: the Docker driver."""

    async def pin(self, taskdef: TaskDefinition, first: str) -> tuple[ImagePin, ...]:
        """Every container's image resolved to its id (pulled when absent), container
        `first` (the load-balanced one) first; PlatformError naming an image that
        can't be had."""

    async def ensure_present(self, revision: str, pins: Sequence[ImagePin]) -> None:
        """Every pinned id on the engine (pulled again by its digest when gone); a
        UsageError naming each image that cannot be brought back."""


@runtime_checkable
class ImageDriver(TaskDriver, ImageEngine, Protocol):
    """A driver that runs pinned images (the Docker driver)."""


def pinned(taskdef: TaskDefinition, pins: Sequence[ImagePin]) -> TaskDefinition:
    """The task definition with each pinned container running its image id."""
    ids = {pin.container: pin.image_id for pin in pins}
    containers = tuple(
        c.model_copy(update={"image": ids[c.name]}) if c.name in ids else c
        for c in taskdef.container_definitions
    )
    return taskdef.model_copy(update={"container_definitions": containers})


def pins_to_json(pins: Sequence[ImagePin]) -> list[dict[str, Any]]:
    return [pin.to_json() for pin in pins]


def pins_from_json(data: list[dict[str, Any]] | None) -> tuple[ImagePin, ...] | None:
    return None if data is None else tuple(ImagePin.from_json(item) for item in data)


def short_form(data: list[dict[str, Any]] | None) -> str | None:
    """The load-balanced container's image id, short (it is pinned first)."""
    pins = pins_from_json(data)
    return pins[0].short if pins else None
