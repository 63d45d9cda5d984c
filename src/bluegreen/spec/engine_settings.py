"""bluegreen.toml turned into the engine's `DeploymentSettings`.

The engine takes only its own frozen settings and knows nothing of the
user's files; this is the one place that reads a validated `BluegreenConfig`
for it. It lives in `spec` because spec may depend on the engine's types,
never the other way round (tests/test_boundaries.py).
"""

from __future__ import annotations

from collections.abc import Iterable

from ..engine.deployment_settings import DeploymentSettings, ValidationSettings
from ..vocabulary import AutoRollback, LifecycleEvent
from .config import BluegreenConfig


def deployment_settings(
    config: BluegreenConfig,
    revision: str,
    blue_revision: str | None,
    hooks: Iterable[LifecycleEvent | str] | None = None,
) -> DeploymentSettings:
    """Settings for deploying `revision` over `blue_revision` (None: the first one).

    `hooks` names the events that have a hook; by default those in `[hooks]`."""
    section = config.deployment
    hooked = config.hooks if hooks is None else hooks
    return DeploymentSettings(
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
