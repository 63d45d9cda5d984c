"""Which revision `rollback` goes back to, through the real CLI and daemon: a table
of sequences, each step a command with its exit code and the revision served after
it, read both from what the app answers through the production listener and from
`status`. The rule itself (local/rollback_target.py) has a larger table over store
rows in test_rollback_target.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from .harness import Project

CANARY_THAT_WAITS = "CodeDeployDefault.ECSCanary10Percent5Minutes"


@dataclass(frozen=True)
class Step:
    command: tuple[str, ...]
    exit_code: int
    serves: str
    """The revision production serves afterwards; its app answers that revision's version."""
    says: str = ""
    """Words the command's output must hold."""


def deploy(version: str, *sets: str, exit_code: int = 0, serves: str = "") -> Step:
    settings = [arg for value in (f"APP_VERSION={version}", *sets) for arg in ("--set", value)]
    return Step(("deploy", *settings), exit_code, serves)


STOPPED_IN_THE_CANARY = ("stop-in-canary",)
"""Not a command: deploy with a canary that waits 5 minutes, then `stop` inside it."""

VERSIONS = {"web:1": "v1", "web:2": "v2", "web:3": "v3"}

TABLE = {
    "a second rollback does not return to what the first rolled away from": [
        deploy("v1", serves="web:1"),
        deploy("v2", serves="web:2"),
        Step(("rollback",), 0, "web:1"),
        Step(("rollback",), 2, "web:1", "nothing to roll back to: web:1 serves now"),
        deploy("v3", serves="web:3"),
        Step(("rollback",), 0, "web:1"),
    ],
    "a stop with rollback during a wait, then rollback --to": [
        deploy("v1", serves="web:1"),
        deploy("v2", serves="web:2"),
        Step(STOPPED_IN_THE_CANARY, 0, "web:2"),
        Step(("rollback",), 0, "web:1"),
        Step(("rollback", "--to", "web:3"), 0, "web:3"),
        Step(("rollback",), 2, "web:3", "web:2 (rolled away from by"),
    ],
    "a failed deploy is rolled away from and never a target": [
        deploy("v1", serves="web:1"),
        deploy("v2", "APP_MODE=crash", exit_code=1, serves="web:1"),
        Step(("rollback",), 2, "web:1", "web:2 (rolled away from by"),
        deploy("v3", serves="web:3"),
        Step(("rollback",), 0, "web:1"),
        Step(("rollback",), 2, "web:1", "web:3 (rolled away from by"),
    ],
}


def serving_per_status(summary: dict[str, Any]) -> str:
    """What the newest deployment says production serves: its green if it succeeded,
    else its blue (a rollback or a failure left traffic there)."""
    if summary["status"] == "Succeeded":
        return str(summary["revision"])
    assert summary["weights"] == {"blue": 100, "green": 0}, summary
    return str(summary["details"]["blue_revision"])


def run(project: Project, step: Step) -> str:
    if step.command == STOPPED_IN_THE_CANARY:
        project.cli("deploy", "--config", CANARY_THAT_WAITS, "--set", "APP_VERSION=v3", "--no-wait")
        project.wait_for(lambda s: s["weights"] == {"blue": 90, "green": 10})
        result = project.cli("stop", check=False)
    else:
        result = project.cli(*step.command, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == step.exit_code, f"{step.command}: {output}"
    return output


@pytest.mark.parametrize("name", list(TABLE))
def test_what_each_step_leaves_serving(start_platform: Callable[..., Project], name: str) -> None:
    project = start_platform(canary="200ms")
    for number, step in enumerate(TABLE[name], start=1):
        output = run(project, step)
        where = f"step {number} {step.command}"
        assert step.says in output, f"{where}: {output}"
        assert project.version() == VERSIONS[step.serves], where
        assert serving_per_status(project.status()) == step.serves, where
