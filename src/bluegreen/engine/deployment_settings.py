"""Everything a deployment needs to know up front, frozen, so replay sees the same.

Built once from the validated `BluegreenConfig` by the driver; the engine
never reads the config itself, which keeps its inputs small and lets tests
state exactly the timings they exercise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from ..spec.config import BluegreenConfig, ReadyAction
from .events import LifecycleEvent


class AutoRollback(StrEnum):
    """CodeDeploy's auto-rollback events: which kinds of ending move traffic back."""

    DEPLOYMENT_FAILURE = "DEPLOYMENT_FAILURE"
    DEPLOYMENT_STOP_ON_ALARM = "DEPLOYMENT_STOP_ON_ALARM"
    DEPLOYMENT_STOP_ON_REQUEST = "DEPLOYMENT_STOP_ON_REQUEST"


@dataclass(frozen=True)
class ValidationSettings:
    """N consecutive ok probes of `path` on the test listener before `deadline` seconds."""

    path: str = "/"
    consecutive_successes: int = 3
    interval: float = 1.0
    deadline: float = 120.0


@dataclass(frozen=True)
class DeploymentSettings:
    """One deployment's plan: revisions, schedule, hooks and every timeout (seconds)."""

    revision: str
    blue_revision: str | None
    desired_count: int = 1
    schedule: tuple[tuple[float, int], ...] = ((0.0, 100),)
    config_name: str = "all at once"
    hooks: Mapping[LifecycleEvent, float] = field(default_factory=dict)
    """Events that have a hook, each with its timeout; the others are Skipped."""
    install_timeout: float = 300.0
    validation: ValidationSettings = field(default_factory=ValidationSettings)
    ready_wait: float = 0.0
    ready_timeout_action: ReadyAction = ReadyAction.STOP
    termination_wait: float = 300.0
    auto_rollback: frozenset[AutoRollback] = frozenset(AutoRollback)

    @property
    def first(self) -> bool:
        """No blue yet: green goes to 100 % at once and nothing is terminated."""
        return self.blue_revision is None

    @property
    def steps(self) -> tuple[tuple[float, int], ...]:
        return ((0.0, 100),) if self.first else self.schedule

    @classmethod
    def from_config(
        cls,
        config: BluegreenConfig,
        revision: str,
        blue_revision: str | None,
        hooks: Iterable[LifecycleEvent | str] | None = None,
    ) -> DeploymentSettings:
        """Settings for deploying `revision` over `blue_revision` (None: the first one).

        `hooks` names the events that have a hook; by default those in `[hooks]`."""
        section = config.deployment
        hooked = config.hooks if hooks is None else hooks
        return cls(
            revision=revision,
            blue_revision=blue_revision,
            desired_count=config.service.desired_count,
            schedule=tuple(section.config.schedule()),
            config_name=section.config.display_name,
            hooks={LifecycleEvent(e): config.hook_timeout(str(e)) for e in hooked},
            install_timeout=section.install_timeout,
            validation=ValidationSettings(
                path=config.validation_path,
                consecutive_successes=config.validation.consecutive_successes,
                interval=config.validation.interval,
                deadline=config.validation.deadline,
            ),
            ready_wait=section.ready_wait,
            ready_timeout_action=section.ready_timeout_action,
            termination_wait=section.termination_wait,
            auto_rollback=frozenset(AutoRollback(e) for e in section.auto_rollback),
        )
