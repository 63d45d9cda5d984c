"""`[notifications]`: webhooks told when a deployment starts, waits, shifts and ends.

A webhook URL often is the secret (Slack's are), so it may come from the
environment (`url_env`) instead of the file; exactly one of the two. The
environment is read where the deploy starts, so a missing variable stops
the deploy with exit 2 before anything changes, never a silent no-op.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..errors import Problem, SpecError


class Notice(StrEnum):
    """What a webhook can be told; each at most once per deployment."""

    STARTED = "started"
    READY = "ready"
    SHIFTED = "shifted"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    STOPPED = "stopped"
    ROLLED_BACK = "rolled_back"


class WebhookFormat(StrEnum):
    JSON = "json"
    SLACK = "slack"


class Webhook(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    url: Annotated[str, Field(pattern=r"^https?://")] | None = None
    url_env: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")] | None = None
    format: WebhookFormat = WebhookFormat.JSON
    events: tuple[Notice, ...] = tuple(Notice)

    @model_validator(mode="after")
    def _one_url(self) -> Webhook:
        if (self.url is None) == (self.url_env is None):
            raise ValueError("give exactly one of url and url_env")
        return self


class NotificationsSection(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    webhooks: tuple[Webhook, ...] = ()


def resolved(
    section: NotificationsSection, source: str, environ: Mapping[str, str] | None = None
) -> NotificationsSection:
    """The section with every `url_env` read from the environment into `url`."""
    environ = os.environ if environ is None else environ
    hooks = []
    for index, hook in enumerate(section.webhooks):
        if hook.url_env is None:
            hooks.append(hook)
            continue
        url = environ.get(hook.url_env, "")
        if not url.startswith(("http://", "https://")):
            problem = "is not set" if not url else "does not hold an http(s) URL"
            raise SpecError(
                Problem(
                    source,
                    f"notifications.webhooks[{index}].url_env",
                    f"the environment variable {hook.url_env} {problem}",
                )
            )
        hooks.append(hook.model_copy(update={"url": url, "url_env": None}))
    return section.model_copy(update={"webhooks": tuple(hooks)})
