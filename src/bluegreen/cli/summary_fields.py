"""What `history` and `status` say of each deployment, for the table and the JSON alike.

One function names the fields, so the table's columns and the keys of
`--output json` are the same facts: when it started and ended, how long it
took, which revision it replaced (blue) with which (green), the short ids
of the images those run when they are pinned (the local Docker driver), and
who or what started it. A platform that does not know one (AWS has no `started_by`)
leaves it empty rather than guessing.
"""

from __future__ import annotations

import time
from typing import Any

from ..platform import DeploymentSummary

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def summary_fields(summary: DeploymentSummary) -> dict[str, Any]:
    """started / ended (epoch seconds), duration (seconds, None while it runs),
    blue_revision, green_revision, blue_image, green_image (short ids; None when
    the revision is not pinned to images), started_by."""
    ended = summary.ended if summary.status.terminal else None
    return {
        "started": summary.created,
        "ended": ended,
        "duration": round(ended - summary.created, 3) if ended is not None else None,
        "blue_revision": summary.details.get("blue_revision"),
        "green_revision": summary.revision,
        "blue_image": summary.details.get("blue_image"),
        "green_image": summary.details.get("green_image"),
        "started_by": summary.details.get("started_by") or "",
    }


def clock(moment: float | None) -> str:
    return time.strftime(TIME_FORMAT, time.localtime(moment)) if moment is not None else "-"


def duration_text(seconds: float | None) -> str:
    """`4.2s`, `3m05s`, `1h02m`; `-` while it runs."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, rest = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{rest:02d}s"
    return f"{minutes // 60}h{minutes % 60:02d}m"


def revisions_text(fields: dict[str, Any]) -> str:
    """`web:1 → web:2`, each with its image's short id when pinned (`web:2 (1a2b3c4d5e6f)`);
    a first deployment has no blue."""
    blue = _with_image(fields["blue_revision"], fields["blue_image"])
    green = _with_image(fields["green_revision"], fields["green_image"])
    return f"{blue} → {green}" if blue else f"→ {green}"


def _with_image(revision: str | None, image: str | None) -> str | None:
    return f"{revision} ({image})" if revision and image else revision


def stored_note(summaries: list[DeploymentSummary]) -> str | None:
    """What to say when the rows were read from state.db because the daemon is down."""
    stored = [s for s in summaries if s.details.get("daemon") == "down"]
    if not stored:
        return None
    as_of = stored[0].details.get("as_of")
    return (
        "the local daemon is down: this is state.db as of its last write"
        + (f" ({clock(as_of)})" if as_of else "")
        + "; `bluegreen up` starts it again"
    )
