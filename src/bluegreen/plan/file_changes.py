"""The app's files now, compared with the snapshot the live revision runs.

Under the process driver a revision is its task definition plus a snapshot
of the build context, so an edited file alone makes a new revision; `plan`
names the files. The same reading of the build context as the snapshot
(`.dockerignore` honoured) keeps the two from disagreeing.
"""

from __future__ import annotations

from pathlib import Path

from ..tasks.snapshot import file_sha256, included_files
from .change import Change


def file_changes(snapshot: Path | None, context: Path) -> list[Change]:
    if snapshot is None:
        return []
    live = {rel: file_sha256(snapshot / rel) for rel in included_files(snapshot)}
    now = {rel: file_sha256(context / rel) for rel in included_files(context)}
    return [
        Change(f"file {rel}", _short(live.get(rel)), _short(now.get(rel)))
        for rel in sorted(live.keys() | now.keys())
        if live.get(rel) != now.get(rel)
    ]


def _short(digest: str | None) -> str | None:
    if digest is None or digest.startswith("symlink:"):
        return digest
    return f"sha256:{digest[:12]}"
