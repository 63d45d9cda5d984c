"""The one event record every platform emits.

The local engine, the CodeDeploy watcher and the ECS watcher all produce
`Event` records in the words of `bluegreen.vocabulary` (CodeDeploy's own,
same meanings), so the live view, `--output json`, history and exit codes
are written once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ..vocabulary import LifecycleEvent, Status, StepStatus


class EventKind(StrEnum):
    STATUS = "status"  # the deployment's status changed
    LIFECYCLE = "lifecycle"  # a lifecycle event started, succeeded, failed or was skipped
    TRAFFIC = "traffic"  # listener weights changed
    TASK_SET = "task_set"  # a task set was launched, became healthy, or terminated
    TARGET = "target"  # a target's health changed
    HOOK = "hook"  # a hook ran: its output and exit status
    VALIDATION = "validation"  # a test-listener probe or the smoke command
    ALARM = "alarm"  # an alarm fired
    ROLLBACK = "rollback"  # a rollback started or finished
    MESSAGE = "message"  # anything else worth a line


@dataclass(frozen=True)
class Weights:
    """Production traffic split in percent; always sums to 100."""

    blue: int
    green: int

    def __post_init__(self) -> None:
        if self.blue + self.green != 100 or min(self.blue, self.green) < 0:
            raise ValueError(f"weights must be non-negative and sum to 100: {self}")

    def to_dict(self) -> dict[str, int]:
        return {"blue": self.blue, "green": self.green}


ALL_BLUE = Weights(100, 0)
ALL_GREEN = Weights(0, 100)


@dataclass(frozen=True)
class Event:
    """One record of a deployment's log: what happened, when, and the state after it."""

    time: float
    deployment_id: str
    kind: EventKind
    status: Status
    message: str
    lifecycle_event: LifecycleEvent | None = None
    step_status: StepStatus | None = None
    weights: Weights | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "time": self.time,
            "deployment_id": self.deployment_id,
            "kind": self.kind.value,
            "status": self.status.value,
            "message": self.message,
            "lifecycle_event": self.lifecycle_event.value if self.lifecycle_event else None,
            "step_status": self.step_status.value if self.step_status else None,
            "weights": self.weights.to_dict() if self.weights else None,
            "details": dict(self.details),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Event:
        weights = data.get("weights")
        lifecycle = data.get("lifecycle_event")
        step = data.get("step_status")
        return cls(
            time=float(data["time"]),
            deployment_id=str(data["deployment_id"]),
            kind=EventKind(data["kind"]),
            status=Status(data["status"]),
            message=str(data["message"]),
            lifecycle_event=LifecycleEvent(lifecycle) if lifecycle else None,
            step_status=StepStatus(step) if step else None,
            weights=Weights(**weights) if weights else None,
            details=dict(data.get("details") or {}),
        )
