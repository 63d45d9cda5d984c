"""The pipeline's verify job: after the deployment, ask the production
listener itself, from outside bluegreen's own view of the deployment.

It passes after `successes` answers in a row that are 2xx/3xx and contain
the expected text (say the commit's short SHA the app prints), and fails
when `deadline` passes first. POSIX sh cannot do this reliably (the classic
pipeline's `curl` loop never failed), so it is a small program instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from ..errors import DeploymentFailed


@dataclass(frozen=True)
class VerifyPolicy:
    expect: str = ""
    successes: int = 3
    interval: float = 1.0
    deadline: float = 60.0
    timeout: float = 5.0


def check(client: httpx.Client, url: str, expect: str) -> tuple[bool, str]:
    """Whether one answer is good, and what it was (for the log)."""
    try:
        response = client.get(url)
    except httpx.HTTPError as exc:
        return False, f"no answer: {type(exc).__name__}: {exc}"
    good_status = 200 <= response.status_code < 400
    found = expect in response.text
    summary = f"HTTP {response.status_code}"
    if expect and not found:
        summary += f", {expect!r} not in the body: {response.text[:200]!r}"
    return good_status and found, summary


def verify(url: str, policy: VerifyPolicy, say: Callable[[str], None]) -> None:
    """Return when production answered well `successes` times in a row;
    raise DeploymentFailed (exit 1) when the deadline passes first."""
    streak, last = 0, ""
    give_up = time.monotonic() + policy.deadline
    with httpx.Client(timeout=policy.timeout, follow_redirects=False) as client:
        while True:
            ok, answer = check(client, url, policy.expect)
            streak = streak + 1 if ok else 0
            if answer != last:
                say(f"{url}: {answer}")
                last = answer
            if streak >= policy.successes:
                say(f"verified: {streak} good answers in a row from {url}")
                return
            if time.monotonic() + policy.interval > give_up:
                raise DeploymentFailed(
                    f"{url} did not answer well {policy.successes} times in a row "
                    f"within {policy.deadline:g}s (last: {last})"
                )
            time.sleep(policy.interval)
