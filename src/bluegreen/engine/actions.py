"""What a `Deployment` asks its driver to do: small frozen records, performed in order.

The engine assumes each action succeeds once returned (a driver that cannot
perform one reports it back as an input, e.g. `TaskSetFailed`), so a
rollback is a list of actions handed out at once, not a phase to wait in.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ..vocabulary import LifecycleEvent, Status
from .events import Event, Weights
from .inputs import TaskSetRole


class ListenerRole(StrEnum):
    """Production serves users; test lets validation and hooks reach green first."""

    PRODUCTION = "production"
    TEST = "test"


@dataclass(frozen=True)
class LaunchTaskSet:
    """Start `count` tasks of `revision`; report `TaskSetReady` once all are healthy."""

    task_set: TaskSetRole
    revision: str
    count: int


@dataclass(frozen=True)
class SetWeights:
    """Point the listener's forward action at blue and green with these weights."""

    listener: ListenerRole
    weights: Weights


@dataclass(frozen=True)
class RunHook:
    """Run the event's hook; report `HookFinished`. Results after `timeout` are ignored."""

    event: LifecycleEvent
    timeout: float


@dataclass(frozen=True)
class StartValidation:
    """Probe `path` through the test listener every `interval`; report each `ValidationResult`."""

    path: str
    interval: float
    consecutive_successes: int


@dataclass(frozen=True)
class StopValidation:
    """Stop probing the test listener."""


@dataclass(frozen=True)
class WatchAlarms:
    """Start (on) or stop (off) evaluating green's alarms; report each as `Alarm`."""

    on: bool


@dataclass(frozen=True)
class WakeAt:
    """Send a `Tick` no earlier than `at` (something is due then)."""

    at: float


@dataclass(frozen=True)
class TerminateTaskSet:
    """Stop the task set's tasks and deregister its targets."""

    task_set: TaskSetRole


@dataclass(frozen=True)
class Record:
    """Append this event to the deployment's log (store, CLI, `--output json`)."""

    event: Event


@dataclass(frozen=True)
class Finished:
    """The deployment reached its terminal status; nothing more will happen."""

    status: Status


Action = (
    LaunchTaskSet
    | SetWeights
    | RunHook
    | StartValidation
    | StopValidation
    | WatchAlarms
    | WakeAt
    | TerminateTaskSet
    | Record
    | Finished
)
