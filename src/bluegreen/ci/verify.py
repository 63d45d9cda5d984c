"""The pipeline's verify job: after the deployment, ask the production
listener itself, from outside bluegreen's own view of the deployment.

It passes after `successes` answers in a row that are 2xx/3xx and contain
the expected text (say the commit's short SHA the app prints), and fails
when `deadline` passes first. POSIX sh cannot do this reliably (the classic
pipeline's `curl` loop never failed), so it is the gate's own probe streak
(`bluegreen.gate`), pointed at production and without a smoke command.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import DeploymentFailed
from ..gate import GatePlan, Policy, Probe, run_sync


@dataclass(frozen=True)
class VerifyPolicy:
    expect: str = ""
    successes: int = 3
    interval: float = 1.0
    deadline: float = 60.0
    timeout: float = 5.0


def verify(url: str, policy: VerifyPolicy, say: Callable[[str], None]) -> None:
    """Return when production answered well `successes` times in a row;
    raise DeploymentFailed (exit 1) when the deadline passes first."""
    streak = Policy(policy.successes, policy.interval, policy.deadline, smoke=False, target=url)
    probe = Probe(url, expect=policy.expect, timeout=policy.timeout)
    for report in run_sync(GatePlan(streak, probe, None, Path.cwd())):
        if report.result == "failed":
            raise DeploymentFailed(report.message)
        say(f"verified: {report.message}" if report.result else report.message)
