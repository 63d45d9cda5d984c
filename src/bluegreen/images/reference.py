"""Image references (`registry/repository:tag`) and the default tag.

The default tag is the commit's short SHA, so an image names the code it was
built from and a GitLab pipeline (`CI_COMMIT_SHORT_SHA`) and a laptop agree.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError

# Docker's own grammar for a tag and a repository's path components.
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REPOSITORY = re.compile(rf"^{_COMPONENT}(?:/{_COMPONENT})*$")


@dataclass(frozen=True)
class ImageRef:
    repository: str
    tag: str
    registry: str | None = None

    def __post_init__(self) -> None:
        if not _REPOSITORY.match(self.repository):
            raise UsageError(
                f"{self.repository!r} is not a repository name; expected lowercase "
                "letters, digits and separators (. _ - /)"
            )
        check_tag(self.tag)

    @property
    def name(self) -> str:
        """The reference without its tag: what `docker push` takes as the repository."""
        return f"{self.registry}/{self.repository}" if self.registry else self.repository

    def __str__(self) -> str:
        return f"{self.name}:{self.tag}"

    def in_registry(self, registry: str) -> ImageRef:
        return ImageRef(self.repository, self.tag, registry.rstrip("/"))


def check_tag(tag: str) -> str:
    if not _TAG.match(tag):
        raise UsageError(
            f"{tag!r} is not an image tag; expected up to 128 letters, digits, '_', '.' "
            "or '-', not starting with '.' or '-'"
        )
    return tag


def default_tag(directory: Path) -> str:
    """`CI_COMMIT_SHORT_SHA` when set, else the short SHA of the checkout holding `directory`."""
    from_ci = os.environ.get("CI_COMMIT_SHORT_SHA")
    if from_ci:
        return check_tag(from_ci)
    try:
        out = subprocess.run(
            ["git", "-C", str(directory), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UsageError(f"no tag given and git can't tell the commit ({exc}); pass --tag") from exc
    if out.returncode != 0:
        raise UsageError(f"no tag given and {directory} has no git commit to name it; pass --tag")
    return check_tag(out.stdout.strip())
