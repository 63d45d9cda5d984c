"""Everything a deployment needs to know up front, frozen, so replay sees the same.

Built once by the driver (from bluegreen.toml: `spec.engine_settings`); the
engine never reads the user's files itself, which keeps its inputs small,
keeps it free of the `spec` package, and lets tests state exactly the
timings they exercise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..vocabulary import AutoRollback, LifecycleEvent, ReadyAction


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
