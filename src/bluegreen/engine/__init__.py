"""The blue/green lifecycle as a sans-IO state machine.

Nothing under engine/ performs I/O or reads a clock: no sockets, no
subprocesses, no threads, no sleeping. Inputs come in (including time, via
`tick(now)`), actions go out, and a driver on each platform performs them.
That is what lets a deployment be rebuilt after a crash by replaying its
recorded inputs, lets tests run the whole lifecycle in milliseconds with a
fake clock, and lets every platform speak the same event vocabulary
(`engine.events`).
"""

from .actions import (
    Action,
    Finished,
    LaunchTaskSet,
    ListenerRole,
    Record,
    RunHook,
    SetWeights,
    StartValidation,
    StopValidation,
    TerminateTaskSet,
    WakeAt,
    WatchAlarms,
)
from .deployment import Deployment, DeploymentState, replay
from .deployment_settings import DeploymentSettings, ValidationSettings
from .inputs import (
    Alarm,
    ContinueRequested,
    HookFinished,
    Input,
    Started,
    StopRequested,
    TaskSetFailed,
    TaskSetReady,
    TaskSetRole,
    Tick,
    ValidationResult,
)
from .transitions import Phase

__all__ = [
    "Action",
    "Alarm",
    "ContinueRequested",
    "Deployment",
    "DeploymentSettings",
    "DeploymentState",
    "Finished",
    "HookFinished",
    "Input",
    "LaunchTaskSet",
    "ListenerRole",
    "Phase",
    "Record",
    "RunHook",
    "SetWeights",
    "StartValidation",
    "Started",
    "StopRequested",
    "StopValidation",
    "TaskSetFailed",
    "TaskSetReady",
    "TaskSetRole",
    "TerminateTaskSet",
    "Tick",
    "ValidationResult",
    "ValidationSettings",
    "WakeAt",
    "WatchAlarms",
    "replay",
]
