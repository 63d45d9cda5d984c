"""The plan as text: one section per kind of change, then the schedule."""

from __future__ import annotations

import json
from typing import Any

from .change import Change
from .report import Plan


def render_text(plan: Plan) -> str:
    live = plan.live_revision or "nothing deployed yet"
    lines = [f"plan for {plan.platform} (live: {live})"]
    if plan.live_revision is None:
        lines.append("first deployment: every field is new")
    elif not plan.changes:
        lines.append(f"no changes: a deploy would run {plan.live_revision} again")
    for title, changes in (
        ("task definition", plan.taskdef),
        ("settings", plan.settings),
        ("app files", plan.files),
    ):
        if changes:
            lines += [f"{title}:", *(f"  {_line(change)}" for change in changes)]
    lines.append("schedule (times from when production traffic first moves):")
    lines += [f"  {moment}" for moment in plan.schedule]
    lines += [f"a deploy would be refused: {why}" for why in plan.refusals]
    return "\n".join(lines) + "\n"


def _line(change: Change) -> str:
    if change.kind == "added":
        return f"+ {change.field}: {_shown(change.after)}"
    if change.kind == "removed":
        return f"- {change.field}: {_shown(change.before)}"
    return f"~ {change.field}: {_shown(change.before)} -> {_shown(change.after)}"


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)
