"""`bluegreen deploy --platform aws-codedeploy` through the real CLI against the
emulator, while a steady client uses the emulated production listener: no
request fails, traffic moves at the stated shares, the gate's probes reach
green's tasks, and a group without a test route is refused rather than
validating blue (issue 14 item 1)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from . import codedeploy_setup as cd
from .cli import deploy, deploy_under_load
from .codedeploy_setup import APPLICATION, deployment_status
from .conftest import Emulator
from .gate_watch import GateWatch
from .project import write_project
from .resources import Alb, create_alb, wait_for
from .steady import SteadyClient, canary_window

pytestmark = pytest.mark.slow


def setup(emulator: Emulator, project_dir: Path, config: str | None = None, **group: Any) -> Alb:
    alb = create_alb(emulator)
    cd.create_blue_service(emulator, alb)
    cd.create_group(emulator, alb, **group)
    if config:
        write_project(project_dir, alb.test_url, config)
    else:
        write_project(project_dir, alb.test_url)
    # The gate probes slower than the test app needs, so that Ready lasts long enough
    # for a watcher on a busy machine to see its probes arrive at green.
    toml = project_dir / "bluegreen.toml"
    toml.write_text(toml.read_text().replace('interval = "20ms"', 'interval = "200ms"'))
    return alb


def ready(emulator: Emulator) -> bool:
    """Whether the newest deployment waits in Ready (for the gate)."""
    codedeploy = emulator.client("codedeploy")
    ids = codedeploy.list_deployments(applicationName=APPLICATION).get("deployments", [])
    return bool(ids) and deployment_status(emulator, ids[0]) == "Ready"


def test_all_at_once_gated_no_failed_request(project_emulator: Emulator, project_dir: Path) -> None:
    alb = setup(project_emulator, project_dir)
    with (
        SteadyClient(alb.prod_url) as steady,
        GateWatch(project_emulator, alb, lambda: ready(project_emulator)) as watch,
    ):
        deploy_under_load(project_emulator, project_dir, steady)
    assert steady.failures == []
    assert steady.answers[0] == "v1" and steady.answers[-1] == "v2"
    assert watch.green_while_waiting >= 1, "the gate's probes did not reach green's tasks"


def test_custom_canary_shares_on_the_listener(
    project_emulator: Emulator, project_dir: Path
) -> None:
    alb = setup(
        project_emulator, project_dir, config='{ type = "canary", percent = 20, interval = "2m" }'
    )
    with SteadyClient(alb.prod_url) as steady:
        deploy_under_load(project_emulator, project_dir, steady)
    assert steady.failures == []
    canary = canary_window(steady.answers)
    assert len(canary) >= 20, f"only {len(canary)} requests in the canary window"
    # Smooth weighted round robin keeps every window within one request of the share.
    assert abs(canary.count("v2") - 0.2 * len(canary)) <= 2, canary.count("v2") / len(canary)
    configs = project_emulator.client("codedeploy").list_deployment_configs()
    mine = [n for n in configs["deploymentConfigsList"] if not n.startswith("CodeDeployDefault.")]
    assert len(mine) == 1


def test_group_without_test_route_cannot_gate(
    project_emulator: Emulator, project_dir: Path
) -> None:
    emulator = project_emulator
    alb = setup(emulator, project_dir, test_route=False)
    # The defect, reproduced: in Ready, the test listener still serves blue, so a
    # gate that probed it would have validated v1 and waved v2 through.
    codedeploy = emulator.client("codedeploy")
    direct = cd.create_deployment(emulator)
    cd.until_status(emulator, direct, "Ready")
    assert httpx.get(alb.test_url, timeout=10).text == "v1\n"
    codedeploy.stop_deployment(deploymentId=direct, autoRollbackEnabled=True)
    cd.until_status(emulator, direct, "Stopped")
    # Fixed: bluegreen refuses to gate such a group before creating anything.
    done = deploy(emulator, project_dir)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "testTrafficRoute" in done.stderr
    ids = codedeploy.list_deployments(applicationName=APPLICATION)["deployments"]
    infos = codedeploy.batch_get_deployments(deploymentIds=ids)["deploymentsInfo"]
    creators = sorted((i["deploymentId"] == direct, i["creator"]) for i in infos)
    assert creators == [(False, "codeDeployRollback"), (True, "user")]  # nothing from the CLI


def test_install_outliving_install_timeout_is_stopped_and_rolled_back(
    project_emulator: Emulator, project_dir: Path, tmp_path: Path
) -> None:
    alb = setup(project_emulator, project_dir)
    write_project(project_dir, alb.test_url, install_timeout="3s")
    unhealthy = tmp_path / "unhealthy"
    unhealthy.write_text("")
    with SteadyClient(alb.prod_url) as steady:
        wait_for(lambda: len(steady.answers) > 20, "the steady client's first answers")
        done = deploy(project_emulator, project_dir, APP_UNHEALTHY_FILE=str(unhealthy))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Install still in progress after 3s: stopping, rollback" in done.stdout
    codedeploy = project_emulator.client("codedeploy")
    ids = codedeploy.list_deployments(applicationName=APPLICATION)["deployments"]
    infos = {
        i["creator"]: i
        for i in codedeploy.batch_get_deployments(deploymentIds=ids)["deploymentsInfo"]
    }
    assert infos["user"]["status"] == "Stopped"
    assert infos["codeDeployRollback"]["status"] == "Succeeded"
    assert steady.failures == [] and set(steady.answers) == {"v1"}
