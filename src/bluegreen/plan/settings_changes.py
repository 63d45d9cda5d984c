"""bluegreen.toml's deployment settings compared with the live deployment's.

Both sides are the engine's `DeploymentSettings` (the schedule, the waits,
the gate, which hooks run and their timeouts), named as bluegreen.toml
names them. The live side is what the platform recorded with the live
deployment, so only a platform that records it (local) has one.
"""

from __future__ import annotations

from typing import Any

from ..engine.deployment_settings import DeploymentSettings
from ..spec.duration import format_duration
from .change import Change, compare


def settings_changes(live: DeploymentSettings | None, new: DeploymentSettings) -> list[Change]:
    if live is None:
        return []
    return compare("", settings_fields(live), settings_fields(new))


def settings_fields(settings: DeploymentSettings) -> dict[str, Any]:
    """The settings as bluegreen.toml names them, each as plan prints it."""
    validation = settings.validation
    return {
        "service.desired_count": settings.desired_count,
        "deployment.config": settings.config_name,
        "deployment.install_timeout": format_duration(settings.install_timeout),
        "deployment.ready_wait": format_duration(settings.ready_wait),
        "deployment.ready_timeout_action": settings.ready_timeout_action.value,
        "deployment.termination_wait": format_duration(settings.termination_wait),
        "deployment.auto_rollback": sorted(e.value for e in settings.auto_rollback),
        "validation.path": validation.path,
        "validation.consecutive_successes": validation.consecutive_successes,
        "validation.interval": format_duration(validation.interval),
        "validation.deadline": format_duration(validation.deadline),
        "hooks": {e.value: format_duration(t) for e, t in sorted(settings.hooks.items())},
    }
