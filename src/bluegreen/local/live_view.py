"""What the daemon is doing right now, as one JSON document for the dashboard.

The event log says what happened; an operator also needs what is true now
and what comes next: the deployment's phase and when its current wait ends,
both task sets' targets with their health, the listeners' splits, and which
actions the deployment would take. It is read from the service's memory on
the event loop, so it costs no store round trip and is never stale.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from ..engine.transitions import Phase

if TYPE_CHECKING:
    from .service import LocalService

# What ends when the engine's current deadline passes, by phase.
DEADLINE_MEANS = {
    Phase.INSTALL: "green must be healthy",
    Phase.READY_WAIT: "the ready wait runs out",
    Phase.ALLOW_TRAFFIC: "the next traffic step",
    Phase.TERMINATION_WAIT: "blue is terminated",
}
TRAFFIC_WINDOW = 10.0
"""Seconds of traffic the rates and p99 are taken over, as the alarms take theirs."""
CONTINUABLE = frozenset({Phase.READY_WAIT, Phase.TERMINATION_WAIT})


def live_view(service: LocalService) -> dict[str, Any]:
    return {
        "deployment": _deployment(service),
        "groups": [_group(service, name) for name in sorted(service.groups)],
        "listeners": {
            role.value: dict(listener.weights) for role, listener in service.listeners.items()
        },
        "actions": _actions(service),
    }


def _deployment(service: LocalService) -> dict[str, Any] | None:
    if service.controller is None:
        return None
    deployment = service.controller.deployment
    state, settings = deployment.state, deployment.settings
    deadline = deployment.deadline
    return {
        "deployment_id": deployment.deployment_id,
        "status": state.status.value,
        "phase": state.phase.value,
        "revision": settings.revision,
        "blue_revision": settings.blue_revision,
        "weights": state.weights.to_dict(),
        "test_weights": state.test_weights.to_dict(),
        "deadline_in": max(0.0, deadline - time.time()) if deadline is not None else None,
        "deadline_means": DEADLINE_MEANS.get(state.phase),
        "config": settings.config_name,
    }


def _group(service: LocalService, name: str) -> dict[str, Any]:
    role, revision = service.group_labels(name)
    group = service.groups[name]
    targets = [
        {"address": t.address, "state": t.state.value, "reason": str(t.reason) if t.reason else ""}
        for t in group.targets
    ]
    served = group.metrics.snapshot(TRAFFIC_WINDOW)
    traffic = {
        "window": TRAFFIC_WINDOW,
        "requests_per_second": served.requests / TRAFFIC_WINDOW,
        "error_rate": served.error_rate,
        "p99": served.p99,
    }
    return {
        "name": name,
        "role": role,
        "revision": revision,
        "targets": targets,
        "traffic": traffic,
    }


def _actions(service: LocalService) -> list[str]:
    """What the dashboard's buttons may do now (the API decides again when asked)."""
    if service.controller is None:
        return ["rollback"] if service.live is not None else []
    deployment = service.controller.deployment
    if deployment.status.terminal:
        return []  # it has its verdict and still stops a task set: the API refuses all three
    phase = deployment.state.phase
    actions = ["continue"] if phase in CONTINUABLE else []
    return [*actions, "stop", "rollback"]
