"""Requests the emulator must refuse the way AWS does: AWS's error shapes and
codes for a missing required field, a wrong type, an unknown ARN and an
operation nobody implements; never an HTML page or a bare 500."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import httpx
import pytest
from botocore.exceptions import ClientError, ParamValidationError

from .conftest import BLUEGREEN, Emulator

JSON = "application/x-amz-json-1.1"
FORM = "application/x-www-form-urlencoded"
ELB_SCOPE = "AWS4-HMAC-SHA256 Credential=AKIA/20260101/us-east-1/elasticloadbalancing/aws4_request"


def post_json(emulator: Emulator, target: str, body: bytes) -> httpx.Response:
    headers = {"X-Amz-Target": target, "Content-Type": JSON}
    return httpx.post(emulator.url, headers=headers, content=body, timeout=30)


def test_missing_field_and_wrong_type_are_named_in_aws_json(emulator: Emulator) -> None:
    answer = post_json(emulator, "CodeDeploy_20141006.CreateApplication", b'{"computePlatform": 3}')
    assert answer.status_code == 400
    assert answer.headers["X-Amzn-ErrorType"] == "ValidationException"
    error = answer.json()
    assert error["__type"] == "ValidationException"
    assert 'Missing required parameter in input: "applicationName"' in error["message"]
    assert "Invalid type for parameter computePlatform" in error["message"]


def test_query_protocol_errors_are_aws_xml(emulator: Emulator) -> None:
    body = b"Action=CreateListener&Version=2015-12-01&Port=eighty"
    headers = {"Authorization": ELB_SCOPE, "Content-Type": FORM}
    answer = httpx.post(emulator.url, headers=headers, content=body, timeout=30)
    assert answer.status_code == 400
    assert answer.text.startswith("<ErrorResponse><Error><Type>Sender</Type>")
    assert "<Code>ValidationError</Code>" in answer.text
    assert "LoadBalancerArn" in answer.text and "Invalid type for parameter Port" in answer.text


def test_unknown_operation_is_named(emulator: Emulator) -> None:
    answer = post_json(emulator, "CodeDeploy_20141006.LaunchRockets", b"{}")
    assert answer.status_code == 400
    assert answer.json()["__type"] == "UnknownOperationException"
    assert "LaunchRockets" in answer.json()["message"]


def test_not_emulated_operation_is_unknown_operation(emulator: Emulator) -> None:
    with pytest.raises(ClientError) as caught:
        emulator.client("codedeploy").list_on_premises_instances()
    assert caught.value.response["Error"]["Code"] == "UnknownOperationException"
    assert "ListOnPremisesInstances" in caught.value.response["Error"]["Message"]


def test_unknown_arn_gets_the_service_code(emulator: Emulator) -> None:
    elbv2 = emulator.client("elbv2")
    arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/nope/0123456789abcdef"
    with pytest.raises(ClientError) as caught:
        elbv2.describe_target_health(TargetGroupArn=arn)
    assert caught.value.response["Error"]["Code"] == "TargetGroupNotFound"


def test_boto3_sees_a_plain_create_and_read(emulator: Emulator) -> None:
    codedeploy = emulator.client("codedeploy")
    codedeploy.create_application(applicationName="web", computePlatform="ECS")
    assert codedeploy.get_application(applicationName="web")["application"]["computePlatform"] == (
        "ECS"
    )
    with pytest.raises(ParamValidationError):  # boto3's own check, the same model
        codedeploy.get_application()


def test_without_moto_emulate_exits_2_saying_what_to_install(tmp_path: Path) -> None:
    # A `moto` that fails to import stands for an installation without the extra.
    (tmp_path / "moto").mkdir()
    (tmp_path / "moto" / "__init__.py").write_text("raise ImportError('No module named moto')\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    done = subprocess.run(
        [BLUEGREEN, "aws", "emulate", "--port", "0", "--state", str(tmp_path / "s")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 2
    assert "pip install 'bluegreen[emulator]'" in done.stderr
