"""Every deployment's event log: stored through the store's thread, then published.

An event goes to its followers (the API's event streams) once the store has
written it, with the sequence number the store gave it, so a follower that
read the stored log first can skip what it already sent. Reading the log
and whether the deployment had ended happens in one store job, so a
follower cannot miss a last event written between the two.

An event the store could not write (disk full, read-only) still goes to the
followers, without a sequence number, so a `deploy` that follows still sees
the deployment end. Its deployment's ending (status, message) is kept here
until a write of it succeeds: `status` and `history` show it meanwhile, and
the next deploy writes it first (`save_endings`), once space is freed.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

from ..engine.events import Event, EventKind
from ..vocabulary import Status
from .store import DeploymentRow, Store
from .store_thread import StoreThread

Subscriber = asyncio.Queue[tuple[int, Event]]
UNSTORED = -1  # the sequence number of an event followers get but the store has not
Logged = tuple[list[tuple[int, Event]], bool]


class EventLog:
    def __init__(self, store: StoreThread) -> None:
        self.store = store
        self.subscribers: dict[str, set[Subscriber]] = {}
        self.unsaved: dict[str, dict[str, Any]] = {}
        """Deployments whose ending is not written yet: the fields it sets."""
        self.unsaved_events: dict[str, Event] = {}
        """The status event of each ending in `unsaved`, for a follower that comes late."""

    def record(self, event: Event) -> None:
        fields: dict[str, Any] = {"status": event.status.value}
        if event.weights:
            fields["weights"] = event.weights.to_dict()
        if event.kind is EventKind.STATUS:
            fields["message"] = event.message
            if event.details.get("rolled_back"):
                fields["rolled_back"] = True
        ending = event.kind is EventKind.STATUS and event.status.terminal
        known = {**fields, "ended": event.time}
        if ending:
            self.unsaved[event.deployment_id] = known
            self.unsaved_events[event.deployment_id] = event

        def write(store: Store) -> int:
            seq = store.append_event(event)
            store.update_deployment(event.deployment_id, **fields)
            return seq

        def written(seq: int) -> None:
            if ending and self.unsaved.get(event.deployment_id) is known:
                self._saved(event.deployment_id)
            self.publish(seq, event)

        def failed() -> None:
            self.publish(UNSTORED, event)

        self.store.write(f"{event.kind} event", write, written, failed)

    def as_known(self, row: DeploymentRow) -> DeploymentRow:
        """The row with its ending if that is not written yet."""
        fields = self.unsaved.get(row.id)
        if fields is None:
            return row
        return dataclasses.replace(
            row,
            status=Status(fields["status"]),
            message=fields["message"],
            ended=row.ended or fields["ended"],
            weights=fields.get("weights", row.weights),
            rolled_back=bool(fields.get("rolled_back", row.rolled_back)),
        )

    async def save_endings(self) -> None:
        """Write the endings the store refused before; raises `StoreFailed` while it still
        refuses (a deploy then fails with that, not after starting)."""
        for deployment_id, known in list(self.unsaved.items()):
            await self.store.call(_saving(deployment_id, known))
            if self.unsaved.get(deployment_id) is known:
                self._saved(deployment_id)

    def _saved(self, deployment_id: str) -> None:
        del self.unsaved[deployment_id]
        del self.unsaved_events[deployment_id]

    def publish(self, seq: int, event: Event) -> None:
        for queue in self.subscribers.get(event.deployment_id, set()):
            queue.put_nowait((seq, event))

    async def since(self, deployment_id: str, after: int) -> Logged:
        """The events after `after`, and whether the deployment had ended by then."""

        def read(store: Store) -> Logged:
            row = store.deployment(deployment_id)
            ended = row is None or row.status.terminal
            return list(store.events(deployment_id, after)), ended

        logged, ended = await self.store.call(read)
        if (unstored := self.unsaved_events.get(deployment_id)) is not None:
            return [*logged, (UNSTORED, unstored)], True
        return logged, ended

    @contextlib.contextmanager
    def subscription(self, deployment_id: str) -> Iterator[Subscriber]:
        queue: Subscriber = asyncio.Queue()
        self.subscribers.setdefault(deployment_id, set()).add(queue)
        try:
            yield queue
        finally:
            self.subscribers[deployment_id].discard(queue)


def _saving(deployment_id: str, fields: dict[str, Any]) -> Callable[[Store], None]:
    return lambda store: store.update_deployment(deployment_id, **fields)
