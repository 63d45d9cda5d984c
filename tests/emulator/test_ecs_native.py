"""ECS-native deployments on the emulator through boto3: ECS's validation, the
stages a LINEAR deployment goes through with its traffic on the production
rule, a PAUSE answered ROLLBACK, Lambda hooks as local commands, and the
errors of the service-deployment calls."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from .conftest import Emulator, leftover_tasks, start_emulator
from .ecs_setup import create_native_service, create_rules, load_balancers, service_deployments
from .project import blue_container
from .resources import create_alb, wait_for

pytestmark = pytest.mark.slow

LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:{}"


def update(emulator: Emulator, version: str = "v2", **configuration: Any) -> str:
    """UpdateService to a new revision with these deployment settings; the deployment."""
    ecs = emulator.client("ecs")
    arn = ecs.register_task_definition(
        family="web", containerDefinitions=[blue_container(version)]
    )["taskDefinition"]["taskDefinitionArn"]
    settings = {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 1, **configuration}
    ecs.update_service(
        cluster="prod", service="web", taskDefinition=arn, deploymentConfiguration=settings
    )
    return str(service_deployments(emulator)[0]["serviceDeploymentArn"])


def describe(emulator: Emulator, arn: str) -> dict[str, Any]:
    ecs = emulator.client("ecs")
    return dict(
        ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0]
    )


def until(emulator: Emulator, arn: str, status: str) -> dict[str, Any]:
    return wait_for(
        lambda: (found := describe(emulator, arn))["status"] == status and found, status
    )


def error_of(call: Any, **params: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


def test_ecs_validation_refuses_before_anything_is_stored(project_emulator: Emulator) -> None:
    emulator = project_emulator
    alb = create_alb(emulator)
    rules = create_rules(emulator, alb)
    ecs = emulator.client("ecs")
    ecs.create_cluster(clusterName="prod")
    taskdef = ecs.register_task_definition(
        family="web", containerDefinitions=[blue_container("v1")]
    )
    base = {
        "cluster": "prod",
        "serviceName": "web",
        "taskDefinition": taskdef["taskDefinition"]["taskDefinitionArn"],
        "desiredCount": 1,
        "loadBalancers": load_balancers(alb, rules),
    }
    early = {"enable": True, "healthyPercent": 50}
    code, message = error_of(
        ecs.create_service,
        **base,
        deploymentConfiguration={"strategy": "BLUE_GREEN", "earlySuccessCriteria": early},
    )
    assert code == "InvalidParameterException"
    assert "earlySuccessCriteria can only be used with ROLLING" in message
    assert "bakeTimeInMinutes is required" in message  # every problem at once
    pause = {"targetType": "PAUSE", "lifecycleStages": ["TEST_TRAFFIC_SHIFT"]}
    canary = {"canaryPercent": 0.0}
    code, message = error_of(
        ecs.create_service,
        **{**base, "loadBalancers": [{**base["loadBalancers"][0], "advancedConfiguration": {}}]},
        deploymentConfiguration={
            "strategy": "CANARY", "canaryConfiguration": canary, "lifecycleHooks": [pause]
        },
    )  # fmt: skip
    assert "PAUSE hooks cannot be configured at TEST_TRAFFIC_SHIFT" in message
    assert "canaryConfiguration.canaryPercent is 0.0" in message
    assert "needs loadBalancers[].advancedConfiguration" in message
    assert ecs.list_services(cluster="prod")["serviceArns"] == []


def test_linear_moves_the_production_rule_step_by_step(project_emulator: Emulator) -> None:
    emulator = project_emulator
    alb = create_alb(emulator)
    create_native_service(emulator, alb)
    linear = {"stepPercent": 50.0, "stepBakeTimeInMinutes": 2}
    arn = update(emulator, linearConfiguration=linear, strategy="LINEAR")
    stages, weights = [], []

    def progressed() -> bool:
        found = describe(emulator, arn)
        stages.append(found.get("lifecycleStage"))
        weights.append(found["targetServiceRevision"]["requestedProductionTrafficWeight"])
        return found["status"] == "SUCCESSFUL"

    wait_for(progressed, "the linear deployment")
    assert 50.0 in weights and weights[-1] == 100.0
    seen = [s for i, s in enumerate(stages) if i == 0 or stages[i - 1] != s]
    order = ["SCALE_UP", "PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME", "CLEAN_UP"]
    assert [s for s in seen if s in order] == order
    assert httpx.get(alb.prod_url, timeout=10).text == "v2\n"


def test_pause_answered_rollback_goes_back_to_blue(project_emulator: Emulator) -> None:
    emulator = project_emulator
    alb = create_alb(emulator)
    create_native_service(emulator, alb)
    hook = {"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]}
    arn = update(emulator, lifecycleHooks=[hook])
    found = wait_for(
        lambda: (d := describe(emulator, arn)).get("lifecycleHookDetails") and d, "the pause"
    )
    [detail] = found["lifecycleHookDetails"]
    assert (detail["status"], detail["timeoutAction"]) == ("AWAITING_ACTION", "ROLLBACK")
    assert found["targetServiceRevision"]["requestedTestTrafficWeight"] == 100.0
    ecs = emulator.client("ecs")
    code, _ = error_of(
        ecs.continue_service_deployment, serviceDeploymentArn=arn, hookId="ecs-pause-nope"
    )
    assert code == "InvalidParameterException"
    ecs.continue_service_deployment(
        serviceDeploymentArn=arn, hookId=detail["hookId"], action="ROLLBACK"
    )
    done = until(emulator, arn, "ROLLBACK_SUCCESSFUL")
    assert done["rollback"]["serviceRevisionArn"] == done["sourceServiceRevisions"][0]["arn"]
    assert httpx.get(alb.test_url, timeout=10).text == "v1\n"
    code, _ = error_of(ecs.stop_service_deployment, serviceDeploymentArn=arn)
    assert code == "ConflictException"
    revisions = ecs.describe_service_revisions(
        serviceRevisionArns=[done["targetServiceRevision"]["arn"], "arn:nope"]
    )
    assert revisions["serviceRevisions"][0]["taskDefinition"].endswith("web:2")
    assert revisions["failures"] == [{"arn": "arn:nope", "reason": "MISSING"}]
    code, _ = error_of(ecs.stop_service_deployment, serviceDeploymentArn=arn + "x")
    assert code == "ServiceDeploymentNotFoundException"


def test_lambda_hooks_are_local_commands(tmp_path: Path, project_dir: Path) -> None:
    record = tmp_path / "hook-events"
    script = f"import os; open({str(record)!r}, 'a').write(os.environ['ECS_HOOK_EVENT'] + '\\n')"
    check = f'{sys.executable} -c "{script}"'
    emulator = start_emulator(
        tmp_path, project_dir, "--lambda", f"check={check}", "--lambda", "refuse=exit 3"
    )
    try:
        alb = create_alb(emulator)
        create_native_service(emulator, alb)
        passes = {
            "targetType": "AWS_LAMBDA",
            "hookTargetArn": LAMBDA.format("check"),
            "roleArn": "arn:aws:iam::123456789012:role/hooks",
            "lifecycleStages": ["POST_SCALE_UP", "POST_PRODUCTION_TRAFFIC_SHIFT"],
        }
        first = update(emulator, lifecycleHooks=[passes])
        until(emulator, first, "SUCCESSFUL")
        stages = [line for line in record.read_text().splitlines() if line]
        assert len(stages) == 2 and '"POST_SCALE_UP"' in stages[0]
        fails = {
            **passes,
            "hookTargetArn": LAMBDA.format("refuse"),
            "lifecycleStages": ["PRE_SCALE_UP"],
        }
        second = update(emulator, "v3", lifecycleHooks=[fails])
        done = until(emulator, second, "ROLLBACK_SUCCESSFUL")
        assert [h["status"] for h in done["lifecycleHookDetails"]] == ["FAILED"]
        assert "refuse exited 3" in done["statusReason"]
        assert httpx.get(alb.prod_url, timeout=10).text == "v2\n"
    finally:
        assert emulator.stop() == 0
    assert leftover_tasks(emulator.state_dir) == []
