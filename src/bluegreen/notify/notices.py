"""Which events a webhook is told about: a sans-IO reading of the event stream.

Each notice is sent at most once per deployment, at the first event that
makes it true, so a replayed or re-followed stream (the CLI reconnecting,
a second follower) tells a channel nothing twice.
"""

from __future__ import annotations

from ..engine.events import Event, EventKind
from ..spec.notifications import Notice
from ..vocabulary import Status

BY_STATUS = {
    Status.IN_PROGRESS: Notice.STARTED,
    Status.READY: Notice.READY,
    Status.SUCCEEDED: Notice.SUCCEEDED,
    Status.FAILED: Notice.FAILED,
    Status.STOPPED: Notice.STOPPED,
}


class Notices:
    def __init__(self) -> None:
        self._sent: set[tuple[str, Notice]] = set()

    def of(self, event: Event) -> Notice | None:
        """The notice this event makes true for the first time, if any."""
        notice = _notice(event)
        if notice is None or (event.deployment_id, notice) in self._sent:
            return None
        self._sent.add((event.deployment_id, notice))
        return notice


def _notice(event: Event) -> Notice | None:
    if event.kind is EventKind.STATUS:
        return BY_STATUS.get(event.status)
    if event.kind is EventKind.TRAFFIC and event.weights and event.weights.green == 100:
        return Notice.SHIFTED
    if event.kind is EventKind.ROLLBACK:
        return Notice.ROLLED_BACK
    return None
