"""`bluegreen aws bootstrap`: create or update the stack from `aws template`.

One CloudFormation stack per service; running it again updates the stack
(or finds nothing to change). It waits for the stack to settle, reports
the reasons of the resources that failed, and returns the stack outputs,
which are the `[aws]` settings the deploy commands need (and the execution
role and log group taskdef.json's placeholders take). A re-run keeps the
service's task definition as it was (see `template_task`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError, WaiterError

from ..errors import PlatformError
from .session import AwsClients, aws_errors, error_message
from .template_task import PINNED

NOTHING_TO_DO = "No updates are to be performed"
FAILED = ("CREATE_FAILED", "UPDATE_FAILED", "DELETE_FAILED")

# Stack output -> the bluegreen.toml [aws] field it fills.
SETTINGS = {
    "ClusterName": "cluster",
    "ServiceName": "service",
    "TestListenerUrl": "test_listener_url",
    "RepositoryName": "ecr_repository",
    "CodeDeployApplication": "codedeploy_application",
    "CodeDeployGroup": "codedeploy_group",
    "ExecutionRoleArn": "execution_role_arn",
    "LogGroup": "log_group",
}


def deploy_stack(
    aws: AwsClients, stack: str, template: str, parameters: Mapping[str, str], delay: float
) -> dict[str, str]:
    """Create or update `stack`, wait until it has settled; its outputs."""
    client = aws.client("cloudformation")
    given = [{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()]
    with aws_errors(f"deploying stack {stack}"):
        existing = _described(client, stack)
        request: dict[str, Any] = {
            "StackName": stack,
            "TemplateBody": template,
            "Parameters": [*given, pinned_parameter(client, existing)],
            "Capabilities": ["CAPABILITY_IAM"],
        }
        waiter = _start(client, request, existing is not None)
        if waiter is not None:
            try:
                client.get_waiter(waiter).wait(
                    StackName=stack, WaiterConfig={"Delay": delay, "MaxAttempts": 720}
                )
            except WaiterError as exc:
                raise PlatformError(f"stack {stack} failed: {_failures(client, stack)}") from exc
        described = client.describe_stacks(StackName=stack)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}


def pinned_parameter(client: Any, existing: Mapping[str, Any] | None) -> dict[str, Any]:
    """`ServiceTaskDefinition` (see `template_task`): empty when the stack is new,
    then the revision CloudFormation gave the service, so an update never
    changes the service's task definition."""
    if existing is None:
        return {"ParameterKey": PINNED, "ParameterValue": ""}
    previous = {p["ParameterKey"]: p.get("ParameterValue") for p in existing.get("Parameters", [])}
    if previous.get(PINNED):
        return {"ParameterKey": PINNED, "UsePreviousValue": True}
    resource = client.describe_stack_resource(
        StackName=existing["StackName"], LogicalResourceId="TaskDefinition"
    )["StackResourceDetail"]
    return {"ParameterKey": PINNED, "ParameterValue": resource["PhysicalResourceId"]}


def _start(client: Any, request: dict[str, Any], exists: bool) -> str | None:
    """Create the stack, or update it; the waiter to use (None: nothing changed)."""
    if not exists:
        client.create_stack(**request)
        return "stack_create_complete"
    try:
        client.update_stack(**request)
    except ClientError as exc:
        if NOTHING_TO_DO in error_message(exc):
            return None
        raise
    return "stack_update_complete"


def _described(client: Any, stack: str) -> dict[str, Any] | None:
    """The stack as DescribeStacks has it; None when there is none (or it was deleted)."""
    try:
        stacks = client.describe_stacks(StackName=stack)["Stacks"]
    except ClientError as exc:
        if "does not exist" in error_message(exc):
            return None
        raise
    if not stacks or stacks[0]["StackStatus"] == "DELETE_COMPLETE":
        return None
    return dict(stacks[0])


def _failures(client: Any, stack: str) -> str:
    events = client.describe_stack_events(StackName=stack)["StackEvents"]
    reasons = [
        f"{e['LogicalResourceId']}: {e.get('ResourceStatusReason', e['ResourceStatus'])}"
        for e in events
        if e["ResourceStatus"] in FAILED
    ]
    return "; ".join(reasons[:5]) or "see the stack's events"


def stack_settings(outputs: Mapping[str, str], region: str) -> dict[str, str]:
    """bluegreen.toml's `[aws]` values from the stack outputs."""
    return {"region": region, **{SETTINGS[k]: v for k, v in outputs.items() if k in SETTINGS}}
