"""What of bluegreen.toml a deploy applies, and what only `down` and `up` do.

Every deploy sends the files as they are now, and each setting falls in one
of three kinds:

- The revision's own: what runs and how it is judged (`[local] command`,
  the load-balanced container and its port, `[health_check]`, `[hooks]`,
  `[validation]`). On AWS these live in the image, the task definition and
  the AppSpec, so they travel with the revision: they are recorded with it
  (and are part of its identity), and a rollback or the restore after a
  crash runs revision N with N's command and health check, not today's.
- The deployment's: how to get there (`[deployment]`, its alarms, the
  desired count, `keep_snapshots`), read from the request of each deploy.
- The platform's: what the daemon set up when it started (the listeners'
  ports, the task driver, the network, the target groups' deregistration
  delay). These cannot change under running traffic, so a deploy that
  edits one is refused, naming each field, rather than kept silently.
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import UsageError
from ..spec.config import BluegreenConfig

RESTART_FIELDS = (
    "prod_port",
    "test_port",
    "admin_port",
    "driver",
    "network",
    "deregistration_delay",
    "upgrade_grace",
    "max_connections",
)
"""`[local]` fields the daemon applies once, when it starts (see `LocalService.start`)."""

DEPLOY_FIELDS = ("command", "keep_snapshots")
"""`[local]` fields each deploy reads; every `[local]` field is in one of the two lists."""

APPLY_RESTART = "bluegreen down && bluegreen up"


def refuse_restart_edits(running: BluegreenConfig, sent: BluegreenConfig) -> None:
    """UsageError (exit 2) naming every platform field `sent` changes, with both values."""
    refusal = restart_refusal(running, sent)
    if refusal:
        raise UsageError(f"nothing changed: {refusal}")


def restart_refusal(running: BluegreenConfig, sent: BluegreenConfig) -> str | None:
    """Why a deploy of `sent` would be refused by a platform running `running`, if it is."""
    now, wanted = running.local.model_dump(mode="json"), sent.local.model_dump(mode="json")
    changed = [
        f"local.{name} is {json.dumps(now[name])} on the running platform, "
        f"{json.dumps(wanted[name])} in bluegreen.toml"
        for name in RESTART_FIELDS
        if now[name] != wanted[name]
    ]
    if not changed:
        return None
    edits = "; ".join(changed)
    return f"the running platform cannot apply this edit: {edits}; apply it with `{APPLY_RESTART}`"


def revision_settings(config: BluegreenConfig) -> dict[str, Any]:
    """The settings a revision is registered with (JSON, part of its identity)."""
    return {
        "command": config.local.command,
        "container": config.service.container,
        "container_port": config.service.container_port,
        "health_check": config.health_check.model_dump(mode="json"),
        "hooks": {event: hook.model_dump(mode="json") for event, hook in config.hooks.items()},
        "validation": config.validation.model_dump(mode="json"),
    }


def run_config(config: BluegreenConfig, recorded: dict[str, Any]) -> BluegreenConfig:
    """`config` (a deployment's, or the daemon's own at a restore) running a revision
    registered with `recorded`: the revision's settings win over today's."""
    data = config.model_dump(mode="json")
    data["local"]["command"] = recorded["command"]
    data["service"]["container"] = recorded["container"]
    data["service"]["container_port"] = recorded["container_port"]
    for section in ("health_check", "hooks", "validation"):
        data[section] = recorded[section]
    return BluegreenConfig.model_validate(data)
