"""The words of a blue/green deployment, defined once for every package.

The user's files (`spec`), the engine, the platforms and the CLI all speak
of the same lifecycle events, statuses and rules, with CodeDeploy's names
and meanings. Each is defined here and nowhere else, so that what
bluegreen.toml accepts, what the engine does and what a platform reports
cannot drift apart. This module sits below `spec` and `engine` and imports
neither: it is only names.
"""

from __future__ import annotations

from enum import StrEnum


class LifecycleEvent(StrEnum):
    """CodeDeploy's ECS lifecycle events, in the order a deployment runs them."""

    BEFORE_INSTALL = "BeforeInstall"
    INSTALL = "Install"
    AFTER_INSTALL = "AfterInstall"
    ALLOW_TEST_TRAFFIC = "AllowTestTraffic"
    AFTER_ALLOW_TEST_TRAFFIC = "AfterAllowTestTraffic"
    BEFORE_ALLOW_TRAFFIC = "BeforeAllowTraffic"
    ALLOW_TRAFFIC = "AllowTraffic"
    AFTER_ALLOW_TRAFFIC = "AfterAllowTraffic"

    @property
    def hookable(self) -> bool:
        return self in HOOKABLE


HOOKABLE: tuple[LifecycleEvent, ...] = (
    LifecycleEvent.BEFORE_INSTALL,
    LifecycleEvent.AFTER_INSTALL,
    LifecycleEvent.AFTER_ALLOW_TEST_TRAFFIC,
    LifecycleEvent.BEFORE_ALLOW_TRAFFIC,
    LifecycleEvent.AFTER_ALLOW_TRAFFIC,
)
"""The events a hook may run at, in lifecycle order; the other three are actions."""


class AutoRollback(StrEnum):
    """CodeDeploy's auto-rollback events: which kinds of ending move traffic back."""

    DEPLOYMENT_FAILURE = "DEPLOYMENT_FAILURE"
    DEPLOYMENT_STOP_ON_ALARM = "DEPLOYMENT_STOP_ON_ALARM"
    DEPLOYMENT_STOP_ON_REQUEST = "DEPLOYMENT_STOP_ON_REQUEST"


class Status(StrEnum):
    """A deployment's status (CodeDeploy's names)."""

    CREATED = "Created"
    IN_PROGRESS = "InProgress"
    READY = "Ready"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    STOPPED = "Stopped"

    @property
    def terminal(self) -> bool:
        return self.value in TERMINAL


TERMINAL: frozenset[str] = frozenset(
    s.value for s in (Status.SUCCEEDED, Status.FAILED, Status.STOPPED)
)
"""The statuses a deployment ends in, as CodeDeploy spells them.

Plain strings, so that a status CodeDeploy answers that we have no member
for (Queued, Baking) can be checked too; `Status.terminal` reads this."""


class StepStatus(StrEnum):
    """A lifecycle event's status (CodeDeploy's LifecycleEventStatus)."""

    PENDING = "Pending"
    IN_PROGRESS = "InProgress"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    SKIPPED = "Skipped"


class ReadyAction(StrEnum):
    """What happens when the ready wait runs out without a `continue`."""

    CONTINUE = "CONTINUE_DEPLOYMENT"
    STOP = "STOP_DEPLOYMENT"
