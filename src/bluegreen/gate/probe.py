"""One probe: ask a URL once and judge the answer.

Healthy means the status code passes the matcher (the target group's
`200-399` by default) and, when `expect` is set, the body holds that text
(the pipeline's verify job looks for the commit it deployed). The sync and
async ways of asking share `judge`, so every platform judges alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx

BODY_SHOWN = 200


def two_or_three_hundred(status: int) -> bool:
    return 200 <= status < 400


@dataclass(frozen=True)
class Probe:
    url: str
    healthy: Callable[[int], bool] = two_or_three_hundred
    expect: str = ""
    timeout: float = 5.0

    def judge(self, response: httpx.Response) -> tuple[bool, str]:
        """Whether the answer is healthy, and what it was (for the log)."""
        found = self.expect in response.text
        detail = f"HTTP {response.status_code}"
        if self.expect and not found:
            detail += f", {self.expect!r} not in the body: {response.text[:BODY_SHOWN]!r}"
        return self.healthy(response.status_code) and found, detail

    def ask(self, client: httpx.Client) -> tuple[bool, str]:
        try:
            return self.judge(client.get(self.url))
        except httpx.HTTPError as exc:
            return False, unanswered(exc)

    async def ask_async(self, client: httpx.AsyncClient) -> tuple[bool, str]:
        try:
            return self.judge(await client.get(self.url))
        except httpx.HTTPError as exc:
            return False, unanswered(exc)


def unanswered(exc: httpx.HTTPError) -> str:
    return f"no answer ({type(exc).__name__})"
