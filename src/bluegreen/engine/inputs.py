"""What a driver tells a `Deployment`: small frozen records, each stamped with time.

Every input carries `at`, the driver's clock in seconds, because the engine
never reads a clock: records get their times from inputs, and deadlines are
crossed when a `Tick` arrives. A driver persists the inputs it fed (see
`to_dict` / `from_dict`); replaying them rebuilds the deployment exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from enum import StrEnum
from typing import Any

from ..vocabulary import LifecycleEvent


class TaskSetRole(StrEnum):
    """Blue runs the current revision; green is the one being deployed."""

    BLUE = "blue"
    GREEN = "green"


@dataclass(frozen=True)
class Started:
    """Begin the lifecycle (BeforeInstall first)."""

    at: float


@dataclass(frozen=True)
class TaskSetReady:
    """All targets of the task set are healthy (ends Install for green)."""

    at: float
    task_set: TaskSetRole = TaskSetRole.GREEN


@dataclass(frozen=True)
class TaskSetFailed:
    """The task set's tasks keep crashing or its targets stay unhealthy.

    For green this fails the deployment at once in any phase after it was
    launched (the "green healthy" gate); for blue it is only recorded."""

    at: float
    task_set: TaskSetRole
    why: str


@dataclass(frozen=True)
class HookFinished:
    """A hook's command ended; ignored unless it is the hook now running and in time."""

    at: float
    event: LifecycleEvent
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class Tick:
    """Time passed; deadlines and schedule steps at or before `at` take effect."""

    at: float


@dataclass(frozen=True)
class ValidationResult:
    """One probe of the test listener; N consecutive ok probes pass validation."""

    at: float
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class ContinueRequested:
    """Leave the ready wait, or end the termination wait early."""

    at: float


@dataclass(frozen=True)
class StopRequested:
    """Stop the deployment (`bluegreen stop` / `rollback`).

    `rollback=None` follows the configured DEPLOYMENT_STOP_ON_REQUEST rule;
    True or False overrides it, as CodeDeploy's `autoRollbackEnabled` does."""

    at: float
    rollback: bool | None = None


@dataclass(frozen=True)
class Alarm:
    """An alarm fired (5xx rate, p99 latency, a user command)."""

    at: float
    name: str
    detail: str = ""


Input = (
    Started
    | TaskSetReady
    | TaskSetFailed
    | HookFinished
    | Tick
    | ValidationResult
    | ContinueRequested
    | StopRequested
    | Alarm
)

_TYPES: dict[str, type[Input]] = {
    cls.__name__: cls
    for cls in (
        Started,
        TaskSetReady,
        TaskSetFailed,
        HookFinished,
        Tick,
        ValidationResult,
        ContinueRequested,
        StopRequested,
        Alarm,
    )
}
_ENUMS: dict[str, type[StrEnum]] = {"task_set": TaskSetRole, "event": LifecycleEvent}


def to_dict(item: Input) -> dict[str, Any]:
    """A JSON-ready form of an input, for the store."""
    return {"type": type(item).__name__, **asdict(item)}


def from_dict(data: Mapping[str, Any]) -> Input:
    """The input `to_dict` wrote; raises ValueError for an unknown type."""
    kind = data.get("type")
    if kind not in _TYPES:
        raise ValueError(f"unknown engine input {kind!r}; expected one of {', '.join(_TYPES)}")
    cls = _TYPES[kind]
    values: dict[str, Any] = {}
    for f in fields(cls):
        if f.name in data:
            enum = _ENUMS.get(f.name)
            values[f.name] = enum(data[f.name]) if enum else data[f.name]
    return cls(**values)
