"""`bluegreen deploy --platform aws-ecs` through the real CLI against the emulator's
ECS-native deployments, while a steady client uses the production listener
(whose catch-all rule ECS rewrites): BLUE_GREEN through bluegreen's PAUSE gate,
whose probes reach green's tasks through the test listener rule; a CANARY whose
share is seen on the listener; a stop that rolls back. No request fails."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from .cli import bluegreen, deploy_under_load
from .conftest import Emulator
from .ecs_setup import create_native_service, service_deployments
from .gate_watch import GateWatch
from .project import blue_container, write_project
from .resources import Alb, create_alb, target_states, wait_for
from .steady import SteadyClient, canary_window

pytestmark = pytest.mark.slow

PLATFORM = "aws-ecs"


def setup(emulator: Emulator, project_dir: Path, config: str | None = None) -> Alb:
    alb = create_alb(emulator)
    create_native_service(emulator, alb)
    if config:
        write_project(project_dir, alb.test_url, config)
    else:
        write_project(project_dir, alb.test_url)
    # The PAUSE hook's timeout (ready_wait) must outlast the gate on a busy machine,
    # and the gate probes slower, so that a watcher sees its probes during the pause.
    toml = project_dir / "bluegreen.toml"
    text = toml.read_text().replace('interval = "20ms"', 'interval = "200ms"')
    wait = 'termination_wait = "1s"\nready_wait = "60m"'
    toml.write_text(text.replace('termination_wait = "1s"', wait))
    return alb


def awaiting(emulator: Emulator) -> bool:
    found = service_deployments(emulator)
    hooks = found[0].get("lifecycleHookDetails", []) if found else []
    return any(hook["status"] == "AWAITING_ACTION" for hook in hooks)


def test_blue_green_through_the_pause_gate_no_failed_request(
    project_emulator: Emulator, project_dir: Path
) -> None:
    alb = setup(project_emulator, project_dir)
    with (
        SteadyClient(alb.prod_url) as steady,
        GateWatch(project_emulator, alb, lambda: awaiting(project_emulator)) as watch,
    ):
        deploy_under_load(project_emulator, project_dir, steady, platform=PLATFORM)
    assert steady.failures == []
    assert steady.answers[0] == "v1" and steady.answers[-1] == "v2"
    assert watch.green_while_waiting >= 1, "the gate's probes did not reach green's tasks"
    [done] = service_deployments(project_emulator)
    assert (done["status"], done["lifecycleStage"]) == ("SUCCESSFUL", "CLEAN_UP")
    assert done["targetServiceRevision"]["requestedProductionTrafficWeight"] == 100.0
    [pause] = done["lifecycleHookDetails"]
    assert (pause["targetType"], pause["status"]) == ("PAUSE", "SUCCEEDED")
    # Blue's tasks are gone once the bake time is over; production stays on green.
    wait_for(lambda: target_states(project_emulator, alb.blue_group) == [], "blue cleaned up")
    assert httpx.get(alb.prod_url, timeout=10).text == "v2\n"


def test_canary_share_seen_on_the_listener(project_emulator: Emulator, project_dir: Path) -> None:
    config = '{ type = "canary", percent = 20, interval = "2m" }'
    alb = setup(project_emulator, project_dir, config)
    with SteadyClient(alb.prod_url) as steady:
        deploy_under_load(project_emulator, project_dir, steady, platform=PLATFORM)
    assert steady.failures == []
    canary = canary_window(steady.answers)
    assert len(canary) >= 20, f"only {len(canary)} requests in the canary window"
    assert abs(canary.count("v2") - 0.2 * len(canary)) <= 2, canary.count("v2") / len(canary)
    [done] = service_deployments(project_emulator)
    assert done["deploymentConfiguration"]["strategy"] == "CANARY"
    assert done["status"] == "SUCCESSFUL"


def test_stop_rolls_back_to_blue(project_emulator: Emulator, project_dir: Path) -> None:
    """A deployment paused at a user's own PAUSE hook, stopped with `bluegreen stop`."""
    emulator = project_emulator
    alb = setup(emulator, project_dir)
    ecs = emulator.client("ecs")
    service = ecs.describe_services(cluster="prod", services=["web"])["services"][0]
    configuration = dict(service["deploymentConfiguration"])
    configuration["lifecycleHooks"] = [
        {"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]}
    ]
    v2 = ecs.register_task_definition(family="web", containerDefinitions=[blue_container("v2")])[
        "taskDefinition"
    ]["taskDefinitionArn"]
    with SteadyClient(alb.prod_url) as steady:
        ecs.update_service(
            cluster="prod", service="web", taskDefinition=v2, deploymentConfiguration=configuration
        )
        wait_for(lambda: awaiting(emulator), "the PAUSE hook awaiting action")
        assert httpx.get(alb.test_url, timeout=10).text == "v2\n"  # the test rule: green
        refused = bluegreen(emulator, "stop", str(project_dir), "--platform", PLATFORM,
                            "--no-rollback")  # fmt: skip
        assert refused.returncode == 2 and "only the stop type ROLLBACK" in refused.stderr
        assert awaiting(emulator)  # nothing was stopped
        stopped = bluegreen(emulator, "stop", str(project_dir), "--platform", PLATFORM)
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr
        wait_for(
            lambda: service_deployments(emulator)[0]["status"] == "ROLLBACK_SUCCESSFUL",
            "the rollback",
        )
    assert steady.failures == [] and set(steady.answers) == {"v1"}
    assert httpx.get(alb.test_url, timeout=10).text == "v1\n"
    assert target_states(emulator, alb.green_group) == []
    [done] = service_deployments(emulator)
    assert done["rollback"]["serviceRevisionArn"] == done["sourceServiceRevisions"][0]["arn"]
    service = ecs.describe_services(cluster="prod", services=["web"])["services"][0]
    assert service["taskDefinition"].endswith("web:1")
