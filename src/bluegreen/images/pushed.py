"""The image `bluegreen push` last pushed for a project, so `deploy` on AWS
can run without `--image` right after a push (`bluegreen push && bluegreen
deploy --platform aws-codedeploy`), as the pipeline's two jobs do."""

from __future__ import annotations

from pathlib import Path

from ..state_dir import make_private_dir, write_private

_RECORD = Path(".bluegreen") / "pushed-image"


def record_pushed(project_dir: Path, uri: str) -> None:
    path = project_dir / _RECORD
    make_private_dir(path.parent)
    write_private(path, uri + "\n")


def last_pushed(project_dir: Path) -> str | None:
    path = project_dir / _RECORD
    if not path.is_file():
        return None
    return path.read_text().strip() or None
