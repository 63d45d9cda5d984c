"""Which revision `rollback` (without `--to`) deploys again: a pure reading of history.

The rule: let S be the stable revision, the one production serves now (the
revision of the newest Succeeded deployment). The target is the newest
revision other than S that served production as the result of a Succeeded
deployment and that was not left by a rollback. "Newest" means the one that
stopped serving last, so a rollback returns to what served just before.

A revision is left by a rollback when a deployment rolls *away* from it:
a Succeeded deployment with `rollback_of` set (`rollback`, `rollback --to`)
rolls away from the revision it replaced, and a deployment that ended with
traffic moved back to blue (`stop`, an alarm, a failure with auto-rollback)
rolls away from its own green. A later Succeeded deployment of that revision
makes it a candidate again once it is left normally. Without this rule a
second `rollback` would go back to the revision the first one fled.

Nothing qualifies: `UsageError` (exit 2) naming every revision considered
and why it was passed over.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..errors import UsageError
from ..vocabulary import Status
from .store import DeploymentRow


@dataclass(frozen=True)
class RollbackTarget:
    revision: str
    undoes: str | None
    """The deployment that put the revision serving now into production (None: nothing
    has succeeded yet, which only `rollback --to` accepts)."""


@dataclass
class _Reading:
    """What the history says so far, read oldest first."""

    serving: DeploymentRow | None = None
    left: dict[str, tuple[int, str]] = field(default_factory=dict)
    """Revisions that served and were left: when (the order), and how ("" normally)."""
    tried: dict[str, str] = field(default_factory=dict)
    """Revisions deployed that never served production, with their last deployment."""

    def read(self, order: int, row: DeploymentRow) -> None:
        if row.status is Status.SUCCEEDED:
            before = self.serving
            self.serving = row
            self.left.pop(row.revision, None)
            self.tried.pop(row.revision, None)
            if before is not None and before.revision != row.revision:
                how = f"rolled away from by {row.id}" if row.rollback_of else ""
                self.left[before.revision] = (order, how)
        elif self.serving is not None and row.revision == self.serving.revision:
            return  # the same revision deployed over itself: still serving
        elif row.rolled_back:
            self.left[row.revision] = (order, f"rolled away from by {row.id}, {row.status}")
        elif row.revision not in self.left:
            self.tried[row.revision] = f"never served production: {row.id} {row.status}"

    def passed_over(self) -> list[str]:
        reasons = {**self.tried, **{rev: how for rev, (_, how) in self.left.items()}}
        return [f"{rev} ({why})" for rev, why in sorted(reasons.items())]


def rollback_target(rows: Sequence[DeploymentRow], to: str | None = None) -> RollbackTarget:
    """The revision to roll back to, from every deployment row, newest first as
    `Store.deployments` gives them; `to`, when the user named one (`rollback --to`),
    is taken as it is."""
    reading = _Reading()
    for order, row in enumerate(reversed(rows)):
        reading.read(order, row)
    if to is not None:
        return RollbackTarget(to, reading.serving.id if reading.serving else None)
    if reading.serving is None:
        raise UsageError("nothing to roll back to: no deployment has succeeded yet")
    candidates = [(order, rev) for rev, (order, how) in reading.left.items() if not how]
    if candidates:
        _, revision = max(candidates)
        return RollbackTarget(revision, reading.serving.id)
    passed = reading.passed_over()
    raise UsageError(
        f"nothing to roll back to: {reading.serving.revision} serves now and no other "
        "revision served production without being rolled away from"
        + ("; considered " + ", ".join(passed) if passed else "")
    )
