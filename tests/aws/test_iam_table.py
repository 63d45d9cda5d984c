"""docs/aws.md's IAM table against the AWS calls the code makes.

The calls are read from the source: every `.method(` call and every
`get_paginator("method")` in a module, kept when the method is an
operation of a service that module holds a client of, named as IAM names
it (the service prefix and the API operation). The table must list exactly those: a call
the docs leave out would be an AccessDenied on the user's first run, a
permission the code never uses is one the user grants for nothing.
"""

from __future__ import annotations

import re
from pathlib import Path

import boto3
import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "src" / "bluegreen"
EMULATOR = SOURCE / "emulator"
DOC = ROOT / "docs" / "aws.md"
IAM_PREFIX = {
    "ecs": "ecs",
    "codedeploy": "codedeploy",
    "elbv2": "elasticloadbalancing",
    "ecr": "ecr",
    "cloudformation": "cloudformation",
    "cloudwatch": "cloudwatch",
    "logs": "logs",
    "sts": "sts",
    "iam": "iam",
}
CALL = re.compile(r"""\.(\w+)\(""")
PAGINATED = re.compile(r"""get_paginator\(\s*["'](\w+)["']""")
ACTION = re.compile(r"`([a-z]+:[A-Za-z]+)`")


def _operations() -> dict[str, dict[str, str]]:
    """Each service's methods and the operations they call, from botocore's models."""
    return {
        service: boto3.client(service, region_name="us-east-1").meta.method_to_api_mapping
        for service in IAM_PREFIX
    }


def _uses(text: str, service: str) -> bool:
    """A client of `service` in this module: `aws.ecs.`, `client("ecs")`, or a
    variable or parameter named after the service (`elbv2.describe_…`, `elbv2: Any`)."""
    return re.search(rf"""\b{service}\.|["']{service}["']|\b{service}:""", text) is not None


def calls_in_source() -> set[str]:
    operations = _operations()
    found = set()
    for module in SOURCE.rglob("*.py"):
        if EMULATOR in module.parents:
            continue  # it answers AWS calls (moto's backends have their names), makes none
        text = module.read_text(encoding="utf-8")
        services = {service for service in IAM_PREFIX if _uses(text, service)}
        called = set(CALL.findall(text)) | set(PAGINATED.findall(text))
        for service in services:
            for method in called & set(operations[service]):
                found.add(f"{IAM_PREFIX[service]}:{operations[service][method]}")
    return found


def table_rows() -> list[tuple[str, set[str], set[str]]]:
    text = DOC.read_text(encoding="utf-8")
    table = text.split("<!-- iam-table -->")[1].split("<!-- /iam-table -->")[0]
    rows = []
    for line in table.strip().splitlines()[2:]:
        command, calls, also = (cell.strip() for cell in line.strip("|").split("|"))
        rows.append((command, set(ACTION.findall(calls)), set(ACTION.findall(also))))
    return rows


def test_the_table_lists_exactly_the_calls_the_code_makes() -> None:
    documented = set().union(*(calls for _, calls, _ in table_rows()))
    in_code = calls_in_source()
    assert in_code, "the scan found no AWS call at all: the pattern is broken"
    assert in_code - documented == set(), "called but not in docs/aws.md's IAM table"
    assert documented - in_code == set(), "in docs/aws.md's IAM table but never called"


@pytest.mark.parametrize("row", table_rows(), ids=lambda row: row[0])
def test_every_listed_call_is_an_operation_of_its_service(
    row: tuple[str, set[str], set[str]],
) -> None:
    operations = _operations()
    names = {
        f"{IAM_PREFIX[service]}:{operation}"
        for service, methods in operations.items()
        for operation in methods.values()
    }
    _, calls, _ = row
    assert calls, "a row with no API call"
    assert calls <= names, f"not an AWS operation: {sorted(calls - names)}"


def test_the_scan_sees_a_call_through_a_paginator_and_a_local_client() -> None:
    """The two shapes a plain `.method(` match would miss or misattribute."""
    found = calls_in_source()
    assert "codedeploy:ListDeployments" in found  # get_paginator("list_deployments")
    assert "ecr:GetAuthorizationToken" in found  # boto3.client("ecr") in images/
