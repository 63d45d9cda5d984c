"""AppSpec hooks on the emulator: the hook's Lambda is a local command
(`--lambda NAME=COMMAND`) that reports through
PutLifecycleEventHookExecutionStatus, here with the AWS CLI."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from . import codedeploy_setup as cd
from .conftest import Emulator, start_emulator
from .resources import Alb, create_alb

pytestmark = pytest.mark.slow
AWS_CLI = Path(sys.executable).parent / "aws"
HOOKS = [{"AfterAllowTestTraffic": "CodeDeployHook_smoke"}]


@pytest.fixture
def status_file(tmp_path: Path) -> Path:
    """What the hook reports: the test writes Succeeded or Failed here."""
    return tmp_path / "hook-status"


@pytest.fixture
def hook_emulator(tmp_path: Path, project_dir: Path, status_file: Path) -> Iterator[Emulator]:
    command = (
        f'"{AWS_CLI}" deploy put-lifecycle-event-hook-execution-status '
        '--deployment-id "$DeploymentId" '
        '--lifecycle-event-hook-execution-id "$LifecycleEventHookExecutionId" '
        f'--status "$(cat {status_file})"'
    )
    running = start_emulator(tmp_path, project_dir, "--lambda", f"CodeDeployHook_smoke={command}")
    yield running
    assert running.stop() == 0


def deploy_with_hook(emulator: Emulator) -> tuple[Alb, str]:
    alb = create_alb(emulator)
    cd.create_blue_service(emulator, alb)
    cd.create_group(emulator, alb, ready="CONTINUE_DEPLOYMENT")
    return alb, cd.create_deployment(emulator, hooks=HOOKS)


def hook_step(emulator: Emulator, deployment_id: str) -> str:
    codedeploy = emulator.client("codedeploy")
    target = codedeploy.batch_get_deployment_targets(
        deploymentId=deployment_id, targetIds=["prod:web"]
    )["deploymentTargets"][0]["ecsTarget"]
    events = {e["lifecycleEventName"]: e["status"] for e in target["lifecycleEvents"]}
    return events["AfterAllowTestTraffic"]


def test_hook_reporting_succeeded_lets_the_deployment_finish(
    hook_emulator: Emulator, status_file: Path
) -> None:
    status_file.write_text("Succeeded")
    alb, deployment_id = deploy_with_hook(hook_emulator)
    cd.until_status(hook_emulator, deployment_id, "Succeeded")
    assert hook_step(hook_emulator, deployment_id) == "Succeeded"
    assert httpx.get(alb.prod_url, timeout=10).text == "v2\n"


def test_hook_reporting_failed_fails_and_rolls_back(
    hook_emulator: Emulator, status_file: Path
) -> None:
    status_file.write_text("Failed")
    alb, deployment_id = deploy_with_hook(hook_emulator)
    cd.until_status(hook_emulator, deployment_id, "Failed")
    info = hook_emulator.client("codedeploy").get_deployment(deploymentId=deployment_id)
    assert info["deploymentInfo"]["errorInformation"]["code"] == "HOOK_EXECUTION_FAILURE"
    assert "rollbackDeploymentId" in info["deploymentInfo"]["rollbackInfo"]
    assert hook_step(hook_emulator, deployment_id) == "Failed"
    assert httpx.get(alb.prod_url, timeout=10).text == "v1\n"
