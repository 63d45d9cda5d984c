"""The notifier against a real receiver on 127.0.0.1: every notice once and
in order through failures, a 4xx not retried, a receiver that is down given
up on within `close`'s bound, and the Slack body."""

from __future__ import annotations

import logging
import time

import pytest

from bluegreen.engine.events import Event, EventKind, Weights
from bluegreen.notify import Notifier
from bluegreen.notify.sender import Backoff
from bluegreen.spec.notifications import Notice, NotificationsSection, Webhook
from bluegreen.vocabulary import Status

from .receiver import receiving

FAST = Backoff(first=0.01, most=0.05, attempts=5)


def event(kind: EventKind, status: Status, weights: Weights | None = None) -> Event:
    return Event(time.time(), "d-1", kind, status, f"{kind} {status}", weights=weights)


STREAM = [
    event(EventKind.STATUS, Status.CREATED),
    event(EventKind.STATUS, Status.IN_PROGRESS),
    event(EventKind.TRAFFIC, Status.IN_PROGRESS, Weights(80, 20)),
    event(EventKind.TRAFFIC, Status.IN_PROGRESS, Weights(0, 100)),
    event(EventKind.STATUS, Status.IN_PROGRESS),  # a repeated status tells nothing new
    event(EventKind.STATUS, Status.SUCCEEDED),
]


def notifier(url: str, **hook: object) -> Notifier:
    section = NotificationsSection(webhooks=(Webhook(url=url, **hook),))  # type: ignore[arg-type]
    return Notifier(section, service="web", platform="local", backoff=FAST)


def test_every_notice_arrives_once_and_in_order_through_failures() -> None:
    with receiving(failures=2) as receiver:
        sender = notifier(receiver.url)
        for item in STREAM:
            sender.publish(item)
        assert sender.close(timeout=10) == []
        notices = [body["notice"] for body in receiver.accepted]
    assert notices == ["started", "shifted", "succeeded"]
    assert [key for status, key, _ in receiver.posts][:3] == ["d-1/started"] * 3


def test_only_the_events_a_webhook_asks_for() -> None:
    with receiving() as receiver:
        sender = notifier(receiver.url, events=(Notice.SUCCEEDED,))
        for item in STREAM:
            sender.publish(item)
        sender.close(timeout=10)
    assert [body["notice"] for body in receiver.accepted] == ["succeeded"]


def test_a_4xx_is_not_retried_and_is_reported(caplog: pytest.LogCaptureFixture) -> None:
    with receiving(failures=1, status=404) as receiver:
        sender = notifier(receiver.url)
        sender.publish(STREAM[1])
        assert sender.close(timeout=10) == [f"d-1/started to {receiver.url.split('/')[2]}"]
    assert [status for status, _, _ in receiver.posts] == [404]
    assert "secret-path" not in caplog.text


def test_a_receiver_that_never_recovers_is_given_up_on_within_the_bound() -> None:
    with receiving(failures=10_000) as receiver:
        slow = Backoff(first=0.2, most=0.2, attempts=1000)
        section = NotificationsSection(webhooks=(Webhook(url=receiver.url),))
        sender = Notifier(section, service="web", platform="local", backoff=slow)
        sender.publish(STREAM[1])
        sender.publish(STREAM[-1])
        started = time.monotonic()
        lost = sender.close(timeout=1.0)
        assert time.monotonic() - started < 10.0  # bounded by close (1 s), not the attempts
    assert sorted(lost) == sorted(
        f"d-1/{n} to {receiver.url.split('/')[2]}" for n in ("started", "succeeded")
    )


def test_slack_gets_a_text_line(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    with receiving() as receiver:
        sender = notifier(receiver.url, format="slack")
        sender.publish(STREAM[-1])
        sender.close(timeout=10)
    assert receiver.accepted == [{"text": "web deployment d-1 (local) succeeded: status Succeeded"}]
