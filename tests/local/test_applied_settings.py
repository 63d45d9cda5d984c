"""Which settings of bluegreen.toml a deploy applies, which a revision keeps,
and which only `down` and `up` apply (refused, naming each, while up)."""

from __future__ import annotations

from typing import Any

import pytest

from bluegreen.errors import UsageError
from bluegreen.local.applied_settings import (
    DEPLOY_FIELDS,
    RESTART_FIELDS,
    refuse_restart_edits,
    revision_settings,
    run_config,
)
from bluegreen.spec.config import BluegreenConfig, LocalConfig

BASE: dict[str, Any] = {
    "service": {"name": "web", "container": "web", "container_port": 8000},
    "health_check": {"path": "/health", "interval": 1, "timeout": 0.5},
    "hooks": {"AfterInstall": "sh hooks/after.sh"},
    "local": {"command": "serve one", "prod_port": 8080},
}


def config(**sections: dict[str, Any]) -> BluegreenConfig:
    data = {name: {**BASE.get(name, {}), **sections.get(name, {})} for name in {*BASE, *sections}}
    return BluegreenConfig.model_validate(data)


def test_every_local_field_is_either_read_per_deploy_or_applied_at_up() -> None:
    """A new `[local]` field must be put in one list, or it would be kept silently."""
    assert sorted(LocalConfig.model_fields) == sorted((*RESTART_FIELDS, *DEPLOY_FIELDS))
    assert not set(RESTART_FIELDS) & set(DEPLOY_FIELDS)


def test_an_edit_of_a_platform_field_is_refused_naming_each_with_both_values() -> None:
    sent = config(local={"prod_port": 9090, "driver": "docker", "command": "serve two"})
    with pytest.raises(UsageError) as refused:
        refuse_restart_edits(config(), sent)
    message = str(refused.value)
    assert "local.prod_port is 8080 on the running platform, 9090 in bluegreen.toml" in message
    assert (
        'local.driver is "process" on the running platform, "docker" in bluegreen.toml' in message
    )
    assert "local.command" not in message
    assert message.endswith("apply it with `bluegreen down && bluegreen up`")


def test_edits_a_deploy_applies_pass() -> None:
    refuse_restart_edits(config(), config(local={"command": "serve two", "keep_snapshots": 3}))


def test_a_revision_runs_its_own_settings_over_the_deployments() -> None:
    then = config()
    today = config(
        health_check={"path": "/ready"},
        hooks={"AfterInstall": "sh hooks/new.sh"},
        local={"command": "serve two", "keep_snapshots": 3},
        deployment={"install_timeout": "7s"},
    )
    running = run_config(today, revision_settings(then))
    assert running.local.command == "serve one"
    assert running.health_check == then.health_check
    assert running.hooks == then.hooks
    assert running.validation_path == "/health"
    assert running.deployment.install_timeout == 7  # how to deploy: today's
    assert running.local.keep_snapshots == 3
