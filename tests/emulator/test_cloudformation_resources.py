"""The resources moto's CloudFormation skips, made by the emulator: `Ref` gives
their names (CloudFormation's own when the template names none), a stack
update that changes one makes it again, and one the API would refuse fails
the stack with the resource's reason, as CloudFormation does."""

from __future__ import annotations

import json
from typing import Any

from .conftest import Emulator


def template(threshold: int, group: dict[str, Any] | None = None) -> str:
    resources: dict[str, Any] = {
        "Application": {"Type": "AWS::CodeDeploy::Application", "Properties": {}},
        "Alarm": {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "AlarmName": "web-latency",
                "Namespace": "AWS/ApplicationELB",
                "MetricName": "TargetResponseTime",
                "Dimensions": [{"Name": "LoadBalancer", "Value": "app/web/0123456789abcdef"}],
                "Statistic": "Average",
                "Period": 60,
                "EvaluationPeriods": 3,
                "DatapointsToAlarm": 2,
                "Threshold": threshold,
                "ComparisonOperator": "GreaterThanThreshold",
            },
        },
    }
    if group is not None:
        resources["Group"] = {"Type": "AWS::CodeDeploy::DeploymentGroup", "Properties": group}
    return json.dumps(
        {
            "AWSTemplateFormatVersion": "2010-09-09",
            "Resources": resources,
            "Outputs": {"App": {"Value": {"Ref": "Application"}}},
        }
    )


def stack(emulator: Emulator, name: str) -> dict[str, Any]:
    found = emulator.client("cloudformation").describe_stacks(StackName=name)["Stacks"][0]
    return dict(found)


def test_skipped_resources_are_made_and_updated(emulator: Emulator) -> None:
    cloudformation, cloudwatch = emulator.client("cloudformation"), emulator.client("cloudwatch")
    cloudformation.create_stack(StackName="extras", TemplateBody=template(1))
    app = stack(emulator, "extras")["Outputs"][0]["OutputValue"]
    assert app.startswith("extras-Application-")
    assert emulator.client("codedeploy").get_application(applicationName=app)["application"]
    alarm = cloudwatch.describe_alarms(AlarmNames=["web-latency"])["MetricAlarms"][0]
    assert (alarm["Threshold"], alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (1, 3, 2)
    cloudformation.update_stack(StackName="extras", TemplateBody=template(2))
    alarm = cloudwatch.describe_alarms(AlarmNames=["web-latency"])["MetricAlarms"][0]
    assert alarm["Threshold"] == 2
    assert stack(emulator, "extras")["Outputs"][0]["OutputValue"] == app


def test_a_resource_the_api_refuses_fails_the_stack(emulator: Emulator) -> None:
    group = {"ApplicationName": {"Ref": "Application"}, "DeploymentGroupName": "web"}
    emulator.client("cloudformation").create_stack(
        StackName="broken", TemplateBody=template(1, group)
    )
    assert stack(emulator, "broken")["StackStatus"] == "CREATE_FAILED"
    events = emulator.client("cloudformation").describe_stack_events(StackName="broken")
    failed = [e for e in events["StackEvents"] if e["ResourceStatus"] == "CREATE_FAILED"]
    assert [e["LogicalResourceId"] for e in failed] == ["Group"]
    assert "serviceRoleArn" in failed[0]["ResourceStatusReason"]
