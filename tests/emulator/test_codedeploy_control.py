"""CodeDeploy's control calls on the emulator, under a steady client: stop with
and without rollback, one active deployment per group, and revisions refused
the way CodeDeploy refuses them. One check goes through the AWS CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from . import codedeploy_setup as cd
from .codedeploy_setup import APPLICATION, GROUP, register_green, revision
from .conftest import Emulator
from .resources import Alb, create_alb, target_states, wait_for
from .steady import SteadyClient

pytestmark = pytest.mark.slow
AWS_CLI = str(Path(sys.executable).parent / "aws")


def ready_service(emulator: Emulator, **group: Any) -> Alb:
    """Blue serving, the group made: what every test here starts from."""
    alb = create_alb(emulator)
    cd.create_blue_service(emulator, alb)
    cd.create_group(emulator, alb, **group)
    return alb


def test_stop_with_rollback(project_emulator: Emulator) -> None:
    emulator = project_emulator
    alb = ready_service(emulator)
    codedeploy = emulator.client("codedeploy")
    with SteadyClient(alb.prod_url) as steady:
        deployment_id = cd.create_deployment(emulator)
        cd.until_status(emulator, deployment_id, "Ready")
        with pytest.raises(ClientError) as taken:
            cd.create_deployment(emulator, "v3")
        answer = codedeploy.stop_deployment(deploymentId=deployment_id, autoRollbackEnabled=True)
        cd.until_status(emulator, deployment_id, "Stopped")
        wait_for(lambda: target_states(emulator, alb.green_group) == [], "green deregistered")
    error = taken.value.response["Error"]
    assert error["Code"] == "DeploymentLimitExceededException"
    assert f"already has an active Deployment '{deployment_id}'" in error["Message"]
    assert answer["status"] == "Pending"
    assert steady.failures == [] and set(steady.answers) == {"v1"}
    assert httpx.get(alb.test_url, timeout=10).text == "v1\n"
    shown = subprocess.run(
        [AWS_CLI, "deploy", "get-deployment", "--deployment-id", deployment_id],
        env=emulator.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shown.returncode == 0, shown.stderr
    info = json.loads(shown.stdout)["deploymentInfo"]
    assert info["status"] == "Stopped"
    assert info["errorInformation"]["code"] == "MANUAL_STOP"
    rollback = info["rollbackInfo"]["rollbackDeploymentId"]
    undone = codedeploy.get_deployment(deploymentId=rollback)["deploymentInfo"]
    assert undone["creator"] == "codeDeployRollback"
    assert undone["rollbackInfo"]["rollbackTriggeringDeploymentId"] == deployment_id


def test_stop_without_rollback_leaves_green_where_it_is(project_emulator: Emulator) -> None:
    alb = ready_service(project_emulator)
    deployment_id = cd.create_deployment(project_emulator)
    cd.until_status(project_emulator, deployment_id, "Ready")
    codedeploy = project_emulator.client("codedeploy")
    codedeploy.stop_deployment(deploymentId=deployment_id, autoRollbackEnabled=False)
    cd.until_status(project_emulator, deployment_id, "Stopped")
    info = codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
    assert "rollbackInfo" not in info
    assert httpx.get(alb.test_url, timeout=10).text == "v2\n"  # test listener left on green
    assert httpx.get(alb.prod_url, timeout=10).text == "v1\n"
    with pytest.raises(ClientError) as done:
        codedeploy.continue_deployment(deploymentId=deployment_id)
    assert done.value.response["Error"]["Code"] == "DeploymentAlreadyCompletedException"


def test_revisions_refused_as_codedeploy_does(project_emulator: Emulator) -> None:
    emulator = project_emulator
    ready_service(emulator)
    codedeploy = emulator.client("codedeploy")
    wrong_hash = revision(register_green(emulator))
    wrong_hash["appSpecContent"]["sha256"] = "0" * 64
    unknown_taskdef = revision("arn:aws:ecs:us-east-1:123456789012:task-definition/nope:9")
    for bad, code in (
        (wrong_hash, "InvalidRevisionException"),
        (unknown_taskdef, "InvalidRevisionException"),
    ):
        with pytest.raises(ClientError) as refused:
            codedeploy.create_deployment(
                applicationName=APPLICATION, deploymentGroupName=GROUP, revision=bad
            )
        assert refused.value.response["Error"]["Code"] == code
    with pytest.raises(ClientError) as missing:
        codedeploy.get_deployment(deploymentId="d-NOTHERE00")
    assert missing.value.response["Error"]["Code"] == "DeploymentDoesNotExistException"
    with pytest.raises(ClientError) as no_group:
        codedeploy.create_deployment(
            applicationName=APPLICATION, deploymentGroupName="nope", revision=wrong_hash
        )
    assert no_group.value.response["Error"]["Code"] == "DeploymentGroupDoesNotExistException"


def test_alarm_in_alarm_state_rolls_back_during_the_shift(project_emulator: Emulator) -> None:
    emulator = project_emulator
    alb = ready_service(emulator, ready="CONTINUE_DEPLOYMENT", alarms=["web-5xx"])
    cloudwatch = emulator.client("cloudwatch")
    cloudwatch.put_metric_alarm(
        AlarmName="web-5xx",
        MetricName="HTTPCode_Target_5XX_Count",
        Namespace="AWS/ApplicationELB",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    codedeploy = emulator.client("codedeploy")
    with SteadyClient(alb.prod_url) as steady:
        deployment_id = cd.create_deployment(
            emulator, deploymentConfigName="CodeDeployDefault.ECSCanary10Percent5Minutes"
        )
        wait_for(lambda: "v2" in steady.answers, "the canary's first answers from green")
        cloudwatch.set_alarm_state(
            AlarmName="web-5xx", StateValue="ALARM", StateReason="set by the test"
        )
        cd.until_status(emulator, deployment_id, "Stopped")
        seen = len(steady.answers)
        wait_for(lambda: len(steady.answers) > seen + 20, "answers after the rollback")
    info = codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
    assert info["errorInformation"]["code"] == "ALARM_ACTIVE"
    assert "rollbackDeploymentId" in info["rollbackInfo"]
    assert steady.failures == []
    assert set(steady.answers[seen:]) == {"v1"}
