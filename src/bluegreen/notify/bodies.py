"""A notice as a webhook's body: generic JSON, or Slack's incoming-webhook `text`."""

from __future__ import annotations

from typing import Any

from ..engine.events import Event
from ..spec.notifications import Notice, WebhookFormat

HEADLINE = {
    Notice.STARTED: "started",
    Notice.READY: "is ready: green passed the test listener, waiting for `bluegreen continue`",
    Notice.SHIFTED: "shifted: all production traffic is on green",
    Notice.SUCCEEDED: "succeeded",
    Notice.FAILED: "failed",
    Notice.STOPPED: "was stopped",
    Notice.ROLLED_BACK: "is rolling back to blue",
}


def body(
    notice: Notice, event: Event, fmt: WebhookFormat, *, service: str, platform: str
) -> dict[str, Any]:
    if fmt is WebhookFormat.SLACK:
        detail = f": {event.message}" if event.message else ""
        text = f"{service} deployment {event.deployment_id} ({platform}) {HEADLINE[notice]}{detail}"
        return {"text": text}
    return {
        "notice": notice.value,
        "service": service,
        "platform": platform,
        "deployment_id": event.deployment_id,
        "status": event.status.value,
        "message": event.message,
        "weights": event.weights.to_dict() if event.weights else None,
        "time": event.time,
    }
