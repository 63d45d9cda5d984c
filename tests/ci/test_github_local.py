"""The composite action and the generated `--platform local` workflow, their
steps run under bash as a self-hosted runner runs them, against a real
local daemon: the action makes the first deployment (and starts the
daemon), a push deploys v2 blue/green and verify sees it on the production
listener, then a Run workflow with `action: rollback` brings v1 back."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from bluegreen.ci import action

from .actions_runner import Contexts, Runner, composite
from .harness import BIN, REPO, tool
from .test_gitlab_local import FAST, free_port

pytestmark = pytest.mark.slow


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Path]:
    """The example app as a checked-out repository with its generated
    workflow; the daemon the steps start is stopped afterwards."""
    root = tmp_path / "repo"
    shutil.copytree(REPO / "examples" / "flask-app", root)
    (root / ".gitlab-ci.yml").unlink()
    done = subprocess.run(
        [str(BIN / "bluegreen"), "ci", "github", str(root), "--platform", "local"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    try:
        yield root
    finally:
        subprocess.run([str(BIN / "bluegreen"), "down", str(root)], timeout=120)


def machine_env(prod: int, test: int) -> dict[str, str]:
    """The self-hosted runner's environment; the ports as a job would set them."""
    return {
        **os.environ,
        **FAST,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "NO_PROXY": "127.0.0.1,localhost",
        "BLUEGREEN_LOCAL_PROD_PORT": str(prod),
        "BLUEGREEN_LOCAL_TEST_PORT": str(test),
    }


def production(port: int) -> str:
    return httpx.get(f"http://127.0.0.1:{port}/", timeout=5).text


def run_jobs(runner: Runner, workflow: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """The jobs in order, each job's outputs passed to the next as `needs`."""
    results: dict[str, Any] = {}
    for name in names:
        result = runner.job(workflow, name)
        assert result is not None, f"{name} did not run"
        assert result.code == 0, f"{name}: {result.log}"
        results[name] = result
        runner.contexts.needs[name] = {"outputs": result.outputs}
    return results


def test_the_action_and_the_workflow_deploy_verify_and_roll_back(workspace: Path) -> None:
    tool("bash")
    prod, test = free_port(), free_port()
    env = machine_env(prod, test)
    workflow = yaml.safe_load((workspace / ".github" / "workflows" / "bluegreen.yml").read_text())
    settings = {
        "BLUEGREEN_LOCAL_PROD_PORT": str(prod),
        "BLUEGREEN_LOCAL_TEST_PORT": str(test),
        "BLUEGREEN_PROD_URL": f"http://127.0.0.1:{prod}",
    }

    push = Contexts(github={"event_name": "push", "sha": "1" * 40}, vars=settings)
    runner = Runner(workspace, {**env, "APP_VERSION": "v1"}, push)
    first = composite(action.action(), {"platform": "local", "install": "preinstalled"}, runner)
    assert first.code == 0, first.log
    assert "bluegreen started for ." in first.log, "the action started the daemon"
    assert first.outputs["status"] == "Succeeded" and first.outputs["deployment-id"]
    assert "version v1" in production(prod)

    push.vars = {**settings, "BLUEGREEN_VERIFY_EXPECT": "version v2"}
    runner = Runner(workspace, {**env, "APP_VERSION": "v2"}, push)
    results = run_jobs(runner, workflow, ["build", "deploy", "verify"])
    deploy, verify = results["deploy"], results["verify"]
    assert deploy.outputs["status"] == "Succeeded"
    deploy_id = deploy.outputs["deployment-id"]
    assert deploy_id != first.outputs["deployment-id"]
    assert "blue 50% green 50%" in deploy.log, "a canary step, not a swap"
    assert deploy.summary.startswith(f"### bluegreen: Succeeded, deployment `{deploy_id}`")
    shown = next(
        line for line in verify.log.splitlines() if deploy.outputs["deployment-id"] in line
    )
    assert "Succeeded" in shown, "verify shows the deployment the deploy job ran"
    assert "verified: 3 good answers in a row" in verify.log
    assert "version v2" in production(prod)
    assert 'failures="0"' in (workspace / "bluegreen-validation.xml").read_text()

    dispatch = Contexts(
        github={"event_name": "workflow_dispatch", "sha": "1" * 40},
        inputs={"action": "rollback", "until": "succeeded"},
        vars=settings,
    )
    runner = Runner(workspace, env, dispatch)
    assert runner.job(workflow, "build") is None, "a rollback run builds nothing"
    run_jobs(runner, workflow, ["rollback"])
    assert all("version v1" in production(prod) for _ in range(10))


def test_the_action_waits_at_ready_for_the_callers_tests_then_continues(
    workspace: Path,
) -> None:
    """aws-actions/amazon-ecs-deploy-task-definition issue 96's flow: the
    step ends with green on the test listener and production on blue; the
    caller's own check runs there, then `continue` and `status --wait-for`."""
    tool("bash")
    prod, test = free_port(), free_port()
    env = machine_env(prod, test)
    push = Contexts(github={"event_name": "push", "sha": "1" * 40})
    inputs = {"platform": "local", "install": "preinstalled"}
    first = composite(
        action.action(), inputs, Runner(workspace, {**env, "APP_VERSION": "v1"}, push)
    )
    assert first.code == 0, first.log

    waiting = {**env, "APP_VERSION": "v2", "BLUEGREEN_DEPLOYMENT_READY_WAIT": "10m"}
    ready = composite(
        action.action(), {**inputs, "until": "ready"}, Runner(workspace, waiting, push)
    )
    assert ready.code == 0, ready.log
    assert ready.outputs["status"] == "Ready"
    assert "version v2" in production(test), "green serves the test listener"
    assert "version v1" in production(prod), "production is still on blue"

    steps = [
        {"name": "continue", "run": 'bluegreen continue . --deployment "$ID"'},
        {"name": "follow", "run": 'bluegreen status . --deployment "$ID" --wait-for succeeded'},
    ]
    for step in steps:
        step["env"] = {"ID": ready.outputs["deployment-id"]}
    after = Runner(workspace, env, push).steps(steps)
    assert after.code == 0, after.log
    assert "version v2" in production(prod)
