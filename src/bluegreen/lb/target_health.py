"""Why a target is in its state, in ALB's words, plus what we saw.

ALB's DescribeTargetHealth answers a state with a reason code and a
description (`Target.ResponseCodeMismatch`, "Health checks failed with
these codes: [404]"). We keep the same codes and descriptions, so what a
user learns here reads the same on AWS, and add the detail ALB keeps to
itself: connection refused, no answer after N ms, the path probed.

A target keeps only its last check (`CheckResult`); its reason follows
from that and its state (`Target.reason`), so the two can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ReasonCode(StrEnum):
    REGISTRATION_IN_PROGRESS = "Elb.RegistrationInProgress"
    INITIAL_HEALTH_CHECKING = "Elb.InitialHealthChecking"
    RESPONSE_CODE_MISMATCH = "Target.ResponseCodeMismatch"
    TIMEOUT = "Target.Timeout"
    FAILED_HEALTH_CHECKS = "Target.FailedHealthChecks"
    DEREGISTRATION_IN_PROGRESS = "Target.DeregistrationInProgress"
    NOT_REGISTERED = "Target.NotRegistered"


DESCRIPTIONS = {
    ReasonCode.REGISTRATION_IN_PROGRESS: "Target registration is in progress",
    ReasonCode.INITIAL_HEALTH_CHECKING: "Initial health checks in progress",
    ReasonCode.TIMEOUT: "Request timed out",
    ReasonCode.FAILED_HEALTH_CHECKS: "Health checks failed",
    ReasonCode.DEREGISTRATION_IN_PROGRESS: "Target deregistration is in progress",
    ReasonCode.NOT_REGISTERED: "Target is not registered to the target group",
}
"""ALB's descriptions; a code mismatch's names the codes, so it is built per check."""

CONNECTION_REFUSED = "connection refused"


@dataclass(frozen=True)
class Reason:
    """A reason code, ALB's description of it, and our detail (may be empty)."""

    code: ReasonCode
    description: str
    detail: str = ""

    def __str__(self) -> str:
        detail = f"; {self.detail}" if self.detail else ""
        return f"{self.code}: {self.description}{detail}"

    def to_dict(self) -> dict[str, str]:
        return {"reason": str(self.code), "description": self.description, "detail": self.detail}


def standard(code: ReasonCode, detail: str = "") -> Reason:
    return Reason(code, DESCRIPTIONS[code], detail)


@dataclass(frozen=True)
class CheckResult:
    """One probe: passed, or failed with the reason it gives an unhealthy target."""

    ok: bool
    failure: Reason | None = None

    @property
    def refused(self) -> bool:
        """Nothing listened on the target's port (the app may listen on another)."""
        return self.failure is not None and self.failure.detail.startswith(CONNECTION_REFUSED)


PASSED = CheckResult(ok=True)


def mismatch(status: int, path: str) -> CheckResult:
    description = f"Health checks failed with these codes: [{status}]"
    detail = f"GET {path} answered {status}"
    return CheckResult(False, Reason(ReasonCode.RESPONSE_CODE_MISMATCH, description, detail))


def timed_out(path: str, timeout: float) -> CheckResult:
    detail = f"no answer to GET {path} within {timeout * 1000:.0f} ms"
    return CheckResult(False, standard(ReasonCode.TIMEOUT, detail))


def failed(detail: str) -> CheckResult:
    return CheckResult(False, standard(ReasonCode.FAILED_HEALTH_CHECKS, detail))
