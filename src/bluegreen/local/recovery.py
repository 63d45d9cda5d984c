"""Rebuilding a deployment from the store, after the daemon died mid-way.

The store keeps each deployment's settings and every input its engine was
fed, written before the input was handled; replaying them through a fresh
`engine.Deployment` gives back exactly the state the dead daemon had. The
restarted daemon does not resume from there (the tasks it ran are gone and
green was never proven healthy by *this* daemon), but the replay says
where the deployment was interrupted, for its record.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..engine.deployment import Deployment, replay
from ..engine.deployment_settings import DeploymentSettings, ValidationSettings
from ..engine.inputs import from_dict
from ..vocabulary import AutoRollback, LifecycleEvent, ReadyAction
from .store import DeploymentRow, Store


def settings_to_json(settings: DeploymentSettings) -> dict[str, Any]:
    data = dataclasses.asdict(settings)
    data["hooks"] = {str(event): timeout for event, timeout in settings.hooks.items()}
    data["auto_rollback"] = sorted(str(rule) for rule in settings.auto_rollback)
    return data


def settings_from_json(data: dict[str, Any]) -> DeploymentSettings:
    return DeploymentSettings(
        **{
            **data,
            "schedule": tuple((float(at), int(green)) for at, green in data["schedule"]),
            "hooks": {LifecycleEvent(event): t for event, t in data["hooks"].items()},
            "validation": ValidationSettings(**data["validation"]),
            "ready_timeout_action": ReadyAction(data["ready_timeout_action"]),
            "auto_rollback": frozenset(AutoRollback(r) for r in data["auto_rollback"]),
        }
    )


def rebuild(store: Store, row: DeploymentRow) -> Deployment:
    """The deployment as the dead daemon's engine had it."""
    inputs = [from_dict(item) for item in store.inputs(row.id)]
    return replay(row.id, settings_from_json(row.settings), inputs)


def interrupted_message(
    store: Store, row: DeploymentRow, outcome: str = "the stable revision serves again"
) -> str:
    """Where the deployment was when its controller died, and what was done about it."""
    deployment = rebuild(store, row)
    weights = deployment.weights
    return (
        f"controller restarted: the daemon stopped during {deployment.phase.value} "
        f"(production was blue {weights.blue}% / green {weights.green}%); {outcome}"
    )
