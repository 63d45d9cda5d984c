"""`terminateBlueInstancesOnDeploymentSuccess` KEEP_ALIVE on the emulator: after a
successful deployment the original (blue) tasks are out of their target group
but still running, as CodeDeploy leaves them; they stop with the emulator."""

from __future__ import annotations

import httpx
import pytest

from . import codedeploy_setup as cd
from .conftest import Emulator, leftover_tasks
from .resources import create_alb, target_states, wait_for

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(("action", "running"), [("KEEP_ALIVE", 4), ("TERMINATE", 2)])
def test_blue_kept_alive_or_terminated(
    project_emulator: Emulator, action: str, running: int
) -> None:
    emulator = project_emulator
    alb = create_alb(emulator)
    cd.create_blue_service(emulator, alb)
    cd.create_group(emulator, alb, ready="CONTINUE_DEPLOYMENT", blue_action=action)
    deployment_id = cd.create_deployment(emulator)
    cd.until_status(emulator, deployment_id, "Succeeded")
    wait_for(lambda: target_states(emulator, alb.blue_group) == [], "blue out of its group")
    assert httpx.get(alb.prod_url, timeout=10).text == "v2\n"
    # Two green tasks serve; with KEEP_ALIVE the two blue ones still run beside them.
    wait_for(lambda: len(leftover_tasks(emulator.state_dir)) == running, f"{running} tasks")
