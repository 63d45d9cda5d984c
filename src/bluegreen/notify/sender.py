"""Posting notices: one thread and queue per webhook, in order, retried with backoff.

The deployment only ever calls `publish`, which queues and returns. Each
webhook has its own thread, so one receiver that is down delays nobody
else; it keeps its notices in order, retrying the oldest with exponential
backoff until the receiver answers 2xx, answers a 4xx that retrying cannot
fix, or the attempts run out. `close` lets the queues drain for a bounded
time and says what could not be delivered. Only the webhook's host is ever
logged: the rest of a URL is often the secret.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from ..engine.events import Event
from ..spec.notifications import NotificationsSection, Webhook
from .bodies import body
from .notices import Notices

log = logging.getLogger(__name__)
PERMANENT = frozenset(range(400, 500)) - {408, 425, 429}


@dataclass(frozen=True)
class Backoff:
    first: float = 0.5
    most: float = 30.0
    attempts: int = 10

    def delay(self, attempt: int) -> float:
        return float(min(self.most, self.first * 2 ** (attempt - 1)))


@dataclass(frozen=True)
class Delivery:
    key: str
    """Sent as X-Bluegreen-Delivery, so a receiver can tell a retry from a new notice."""
    payload: dict[str, Any]


class Notifier:
    def __init__(
        self,
        section: NotificationsSection,
        *,
        service: str,
        platform: str,
        backoff: Backoff | None = None,
    ) -> None:
        self.service = service
        self.platform = platform
        self._notices = Notices()
        self._channels = [Channel(hook, backoff or Backoff()) for hook in section.webhooks]

    def publish(self, event: Event) -> None:
        """Queue what this event tells the webhooks; never blocks, never raises."""
        notice = self._notices.of(event) if self._channels else None
        if notice is None:
            return
        for channel in self._channels:
            if notice in channel.hook.events:
                payload = body(
                    notice, event, channel.hook.format, service=self.service, platform=self.platform
                )
                channel.put(Delivery(f"{event.deployment_id}/{notice.value}", payload))

    def close(self, timeout: float = 10.0) -> list[str]:
        """Deliver what is queued within `timeout`; the deliveries given up on."""
        deadline = time.monotonic() + timeout
        for channel in self._channels:
            channel.stop(deadline)
        return [lost for channel in self._channels for lost in channel.join(deadline)]


class Channel:
    """One webhook's queue and the thread that empties it."""

    def __init__(self, hook: Webhook, backoff: Backoff) -> None:
        self.hook = hook
        self.host = urlsplit(str(hook.url)).netloc
        self.backoff = backoff
        self._queue: queue.Queue[Delivery | None] = queue.Queue()
        self._deadline: float | None = None
        self._lost: list[str] = []
        self._current: Delivery | None = None
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=f"webhook {self.host}", daemon=True)
        self._thread.start()

    def put(self, delivery: Delivery) -> None:
        self._queue.put(delivery)

    def stop(self, deadline: float) -> None:
        self._deadline = deadline
        self._queue.put(None)

    def join(self, deadline: float) -> list[str]:
        """What was not delivered by `deadline`: given up on, in flight, or still queued."""
        self._thread.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            lost = list(self._lost)
            if self._thread.is_alive() and self._current is not None:
                lost.append(self._describe(self._current))
        while not self._queue.empty():
            item = self._queue.get_nowait()
            if item is not None:
                lost.append(self._describe(item))
        return lost

    def _describe(self, delivery: Delivery) -> str:
        return f"{delivery.key} to {self.host}"

    def _run(self) -> None:
        with httpx.Client(timeout=5.0) as client:
            while (delivery := self._queue.get()) is not None:
                with self._lock:
                    self._current = delivery
                delivered = self._deliver(client, delivery)
                with self._lock:
                    self._current = None
                    if not delivered:
                        self._lost.append(self._describe(delivery))

    def _deliver(self, client: httpx.Client, delivery: Delivery) -> bool:
        headers = {"X-Bluegreen-Delivery": delivery.key}
        for attempt in range(1, self.backoff.attempts + 1):
            try:
                answer = client.post(str(self.hook.url), json=delivery.payload, headers=headers)
            except httpx.HTTPError as exc:
                why = f"did not answer ({type(exc).__name__})"
            else:
                if answer.is_success:
                    return True
                why = f"answered {answer.status_code}"
                if answer.status_code in PERMANENT:
                    log.warning("webhook %s %s for %s; not retried", self.host, why, delivery.key)
                    return False
            pause = self.backoff.delay(attempt)
            if self._deadline is not None and time.monotonic() + pause > self._deadline:
                break
            log.warning("webhook %s %s for %s; retry in %gs", self.host, why, delivery.key, pause)
            time.sleep(pause)
        log.warning("webhook %s: gave up on %s", self.host, delivery.key)
        return False
