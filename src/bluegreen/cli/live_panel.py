"""The live view's "now" lines: revisions, the countdown, both task sets'
targets, traffic per role, and what the operator can do during a wait.

The event stream says what happened; a platform that can say what is true
now (`Platform.now`: the local one) adds the rest. What may be done during
a wait comes from the status alone, so every platform shows it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from rich.text import Text

from ..spec.duration import format_duration
from ..vocabulary import LifecycleEvent, Status, StepStatus

ROLE_STYLES = {"blue": "blue", "green": "green"}


def now_lines(now: Mapping[str, Any], fetched_at: float) -> list[Text]:
    flight = now.get("deployment") or {}
    lines = []
    if flight:
        blue = flight.get("blue_revision") or "none (first deployment)"
        lines.append(
            Text.assemble(
                ("blue ", "blue"),
                blue,
                ("  →  green ", "green"),
                str(flight.get("revision")),
                (f"  ({flight.get('config')})", "dim"),
            )
        )
        left = flight.get("deadline_in")
        if left is not None:
            left = max(0.0, left - (time.time() - fetched_at))
            what = flight.get("deadline_means") or "the current wait ends"
            lines.append(Text(f"{what} in {format_duration(round(left))}", style="bold"))
    for group in now.get("groups") or []:
        lines += _group_lines(group)
    return lines


def _group_lines(group: Mapping[str, Any]) -> list[Text]:
    role = group.get("role") or ""
    if not role:
        return []
    style = ROLE_STYLES.get(role, "")
    traffic = group.get("traffic") or {}
    p99 = traffic.get("p99")
    rate = traffic.get("requests_per_second", 0.0)
    errors = 100 * (traffic.get("error_rate") or 0.0)
    served = f"{rate:.1f} req/s, {errors:.1f}% 5xx, p99 {_ms(p99)}"
    lines = [
        Text.assemble((f"{role:<5} ", style), (str(group.get("revision")), "bold"), f"  {served}")
    ]
    for target in group.get("targets") or []:
        state = str(target.get("state"))
        reason = f" ({target['reason']})" if target.get("reason") else ""
        mark = "green" if state == "healthy" else "yellow"
        lines.append(Text.assemble(f"      {target.get('address')} ", (state + reason, mark)))
    return lines


def _ms(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds * 1000:.0f} ms"


def hint(status: Status, steps: Mapping[LifecycleEvent, StepStatus], where: str) -> str:
    """What may be done now, as commands to type."""
    if status is Status.READY:
        return (
            f"waiting: `bluegreen continue {where}` shifts production to green, "
            f"`bluegreen stop {where}` rolls back"
        )
    shifted = steps.get(LifecycleEvent.AFTER_ALLOW_TRAFFIC) in (
        StepStatus.SUCCEEDED,
        StepStatus.SKIPPED,
    )
    if status is Status.IN_PROGRESS and shifted:
        return (
            f"termination wait: `bluegreen continue {where}` ends it now, "
            f"`bluegreen rollback {where}` flips production back to blue"
        )
    if status is Status.IN_PROGRESS:
        return f"`bluegreen stop {where}` stops and rolls back"
    return ""
