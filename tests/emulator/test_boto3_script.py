"""A user's own boto3 script against the emulator: create a CodeDeploy
deployment, wait in Ready, see green on the test listener and blue on
production, continue, and see production move to green."""

from __future__ import annotations

import httpx

from . import codedeploy_setup as cd
from .conftest import Emulator
from .resources import create_alb


def test_boto3_deployment_ready_continue_succeeded(project_emulator: Emulator) -> None:
    emulator = project_emulator
    alb = create_alb(emulator)
    cd.create_blue_service(emulator, alb)
    cd.create_group(emulator, alb)
    codedeploy = emulator.client("codedeploy")
    deployment_id = cd.create_deployment(emulator)
    cd.until_status(emulator, deployment_id, "Ready")
    assert httpx.get(alb.test_url, timeout=10).text == "v2\n"
    assert httpx.get(alb.prod_url, timeout=10).text == "v1\n"
    targets = codedeploy.list_deployment_targets(deploymentId=deployment_id)["targetIds"]
    assert targets == ["prod:web"]
    target = codedeploy.batch_get_deployment_targets(deploymentId=deployment_id, targetIds=targets)
    events = {
        e["lifecycleEventName"]: e["status"]
        for e in target["deploymentTargets"][0]["ecsTarget"]["lifecycleEvents"]
    }
    assert events["Install"] == "Succeeded" and events["AllowTestTraffic"] == "Succeeded"
    assert events["AllowTraffic"] == "Pending"
    codedeploy.continue_deployment(deploymentId=deployment_id, deploymentWaitType="READY_WAIT")
    cd.until_status(emulator, deployment_id, "Succeeded")
    assert httpx.get(alb.prod_url, timeout=10).text == "v2\n"
    service = emulator.client("ecs").describe_services(cluster="prod", services=["web"])
    assert service["services"][0]["taskDefinition"].endswith("task-definition/web:2")
