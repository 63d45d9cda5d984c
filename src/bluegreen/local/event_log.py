"""Every deployment's event log: stored through the store's thread, then published.

An event goes to its followers (the API's event streams) once the store has
written it, with the sequence number the store gave it, so a follower that
read the stored log first can skip what it already sent. Reading the log
and whether the deployment had ended happens in one store job, so a
follower cannot miss a last event written between the two.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

from ..engine.events import Event, EventKind
from .store import Store
from .store_thread import StoreThread

Subscriber = asyncio.Queue[tuple[int, Event]]
UNSTORED = -1  # the sequence number of an event followers get but the store has not
Logged = tuple[list[tuple[int, Event]], bool]


class EventLog:
    def __init__(self, store: StoreThread) -> None:
        self.store = store
        self.subscribers: dict[str, set[Subscriber]] = {}

    def record(self, event: Event) -> None:
        fields: dict[str, Any] = {"status": event.status.value}
        if event.weights:
            fields["weights"] = event.weights.to_dict()
        if event.kind is EventKind.STATUS:
            fields["message"] = event.message

        def write(store: Store) -> int:
            seq = store.append_event(event)
            store.update_deployment(event.deployment_id, **fields)
            return seq

        self.store.write(f"{event.kind} event", write, lambda seq: self.publish(seq, event))

    def publish(self, seq: int, event: Event) -> None:
        for queue in self.subscribers.get(event.deployment_id, set()):
            queue.put_nowait((seq, event))

    async def since(self, deployment_id: str, after: int) -> Logged:
        """The events after `after`, and whether the deployment had ended by then."""

        def read(store: Store) -> Logged:
            row = store.deployment(deployment_id)
            ended = row is None or row.status.terminal
            return list(store.events(deployment_id, after)), ended

        return await self.store.call(read)

    @contextlib.contextmanager
    def subscription(self, deployment_id: str) -> Iterator[Subscriber]:
        queue: Subscriber = asyncio.Queue()
        self.subscribers.setdefault(deployment_id, set()).add(queue)
        try:
            yield queue
        finally:
            self.subscribers[deployment_id].discard(queue)
