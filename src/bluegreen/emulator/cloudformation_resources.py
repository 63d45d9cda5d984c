"""What moto's CloudFormation leaves out of a stack, made once moto stored it.

moto creates most of `bluegreen aws template`'s resources, but skips
`AWS::CodeDeploy::Application`, `AWS::CodeDeploy::DeploymentGroup` and
`AWS::CloudWatch::Alarm`, drops an `AWS::ECS::Service`'s `LoadBalancers` and
`DeploymentController`, and cannot answer `Fn::GetAtt` for a load balancer's
`LoadBalancerFullName` or a target group's `TargetGroupName` /
`TargetGroupFullName`. Without them a stack made here could not be deployed
to. So, after CreateStack, UpdateStack or ExecuteChangeSet:

- each skipped resource's properties are resolved (the GetAtts above from the
  ARNs, everything else by moto's own `clean_json`), turned into the API's
  request (CloudFormation's PascalCase keys become the API's camelCase),
  checked against botocore's input shape like any request, and stored in
  moto as CreateApplication, CreateDeploymentGroup or PutMetricAlarm would;
  `Ref` gives the name, as the resource reference pages say
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-codedeploy-deploymentgroup.html,
  .../aws-resource-codedeploy-application.html, .../aws-resource-cloudwatch-alarm.html);
  an alarm without `AlarmName` gets CloudFormation's `stack-LogicalId-SUFFIX`;
- the service gets its load balancers and deployment controller back
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-ecs-service.html);
- the stack's outputs are read again, so `Ref Application` is the name.

A resource that cannot be made fails the stack (`CREATE_FAILED` or
`UPDATE_FAILED`, the resource's event saying why), as CloudFormation would.
A stack update that changes one of these resources makes it again.
"""

from __future__ import annotations

import logging
import random
import string
from collections.abc import Callable, Mapping
from typing import Any

from . import moto_state
from .protocol import AwsError, Call, check_input

log = logging.getLogger(__name__)

APPLICATION = "AWS::CodeDeploy::Application"
GROUP = "AWS::CodeDeploy::DeploymentGroup"
ALARM = "AWS::CloudWatch::Alarm"
SERVICE = "AWS::ECS::Service"
ORDER = (ALARM, APPLICATION, GROUP)
"""Made in this order: a group names its application and its alarms."""
KEYS = {"ECSServices": "ecsServices"}
"""CloudFormation keys whose API spelling is not just a lowercase first letter."""
AS_IS = frozenset({"Tags"})
"""Keys whose value the API spells as CloudFormation does (`Key`, `Value`)."""


class _Made:
    """What `Ref` and `Fn::GetAtt` of a resource made here give (moto asks for these)."""

    def __init__(self, name: str, attributes: Mapping[str, str]) -> None:
        self.physical_resource_id = name
        self.attributes = dict(attributes)

    def get_cfn_attribute(self, name: str) -> str:
        return self.attributes[name]


def camel(value: Any) -> Any:
    """CloudFormation properties (PascalCase) as the API's parameters (camelCase)."""
    if isinstance(value, dict):
        return {
            KEYS.get(k, k[:1].lower() + k[1:]): v if k in AS_IS else camel(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [camel(item) for item in value]
    return value


class StackResources:
    def __init__(self) -> None:
        self.made: dict[tuple[str, str], Any] = {}
        """(stack id, logical id) → the resolved properties it was made from."""

    def take_up(self, region: str) -> None:
        """Make what moto skipped in every stack of `region` (request thread)."""
        for stack in list(moto_state.cloudformation(region).stacks.values()):
            if stack.status.endswith("_COMPLETE") and "DELETE" not in stack.status:
                self._take_up(region, stack)

    def _take_up(self, region: str, stack: Any) -> None:
        resources = stack.template_dict.get("Resources") or {}
        wanted = sorted(
            (ORDER.index(r["Type"]), logical)
            for logical, r in resources.items()
            if r.get("Type") in ORDER and _wanted(stack, r)
        )
        services = [logical for logical, r in resources.items() if r.get("Type") == SERVICE]
        steps = [
            *((logical, self._make) for _, logical in wanted),
            *((logical, self._restore_service) for logical in services),
        ]
        for logical, step in steps:
            try:
                step(region, stack, logical, resources[logical])
            except AwsError as error:
                _fail(stack, logical, f"{error.code}: {error.message}")
                return
        stack.output_map = stack._create_output_map()

    def _make(self, region: str, stack: Any, logical: str, resource: Mapping[str, Any]) -> None:
        kind = resource["Type"]
        properties = _resolved(stack, resource.get("Properties") or {})
        key = (stack.stack_id, logical)
        if self.made.get(key) != properties:
            name = MAKERS[kind](region, stack, logical, properties)
            self.made[key] = properties
            made = _Made(name, _attributes(region, kind, name))
            stack.resource_map._parsed_resources[logical] = made

    def _restore_service(
        self, region: str, stack: Any, logical: str, resource: Mapping[str, Any]
    ) -> None:
        """Give the service what moto's CloudFormation dropped."""
        service = stack.resource_map[logical]
        properties = resource.get("Properties") or {}
        if service is None:
            return
        if properties.get("LoadBalancers") and not service.load_balancers:
            service.load_balancers = camel(_resolved(stack, properties["LoadBalancers"]))
        if properties.get("DeploymentController"):
            service.deployment_controller = camel(
                _resolved(stack, properties["DeploymentController"])
            )


def _wanted(stack: Any, resource: Mapping[str, Any]) -> bool:
    condition = resource.get("Condition")
    return condition is None or bool(stack.resource_map.lazy_condition_map[condition])


def _resolved(stack: Any, value: Any) -> Any:
    from moto.cloudformation.parsing import clean_json

    return clean_json(_full_names(stack, value), stack.resource_map)


def _full_names(stack: Any, value: Any) -> Any:
    """The GetAtts moto cannot answer, answered from the ARNs."""
    if isinstance(value, list):
        return [_full_names(stack, item) for item in value]
    if not isinstance(value, dict):
        return value
    target = value.get("Fn::GetAtt")
    if isinstance(target, list) and len(target) == 2 and target[1] in NAMES:
        resource = stack.resource_map[target[0]]
        return NAMES[target[1]](resource.physical_resource_id)
    return {k: _full_names(stack, v) for k, v in value.items()}


NAMES: dict[str, Callable[[str], str]] = {
    "LoadBalancerFullName": lambda arn: arn.split(":loadbalancer/", 1)[1],
    "TargetGroupFullName": lambda arn: arn.rsplit(":", 1)[1],
    "TargetGroupName": lambda arn: arn.rsplit(":", 1)[1].split("/")[1],
}


def _checked(region: str, service: str, operation: str, params: Mapping[str, Any]) -> None:
    """The request the resource stands for, checked as a call to the API is."""
    check_input(Call(service, operation, "json", region, dict(params)))


def _application(region: str, stack: Any, logical: str, properties: Mapping[str, Any]) -> str:
    params = {"applicationName": _name(stack, logical), **camel(properties)}
    _checked(region, "codedeploy", "CreateApplication", params)
    backend = moto_state.codedeploy(region)
    name = str(params["applicationName"])
    if name not in backend.applications:
        backend.create_application(
            name, params.get("computePlatform", "Server"), params.get("tags") or []
        )
    return name


def _group(region: str, stack: Any, logical: str, properties: Mapping[str, Any]) -> str:
    from moto.core.utils import camelcase_to_underscores

    params = {"deploymentGroupName": _name(stack, logical), **camel(properties)}
    params.pop("deployment", None)  # a first revision to deploy: not emulated
    _checked(region, "codedeploy", "CreateDeploymentGroup", params)
    backend = moto_state.codedeploy(region)
    app, name = params["applicationName"], str(params["deploymentGroupName"])
    backend.deployment_groups.get(app, {}).pop(name, None)  # an update makes it again
    arguments = dict.fromkeys(MOTO_POSITIONAL)
    arguments.update({camelcase_to_underscores(k): v for k, v in params.items()})
    try:
        backend.create_deployment_group(**arguments)
    except Exception as exc:  # moto's own refusals carry AWS's codes
        raise AwsError(str(getattr(exc, "error_type", "ValidationError")), str(exc)) from None
    return name


def _alarm(region: str, stack: Any, logical: str, properties: Mapping[str, Any]) -> str:
    params = {"AlarmName": _name(stack, logical), **properties}
    _checked(region, "cloudwatch", "PutMetricAlarm", params)
    if params.get("Metrics"):
        raise AwsError("ValidationError", "metric math alarms are not emulated in stacks")
    moto_state.cloudwatch(region).put_metric_alarm(
        name=params["AlarmName"],
        namespace=params.get("Namespace"),
        metric_name=params.get("MetricName"),
        comparison_operator=params["ComparisonOperator"],
        evaluation_periods=int(params["EvaluationPeriods"]),
        period=int(params.get("Period", 60)),
        threshold=float(params.get("Threshold", 0)),
        statistic=params.get("Statistic"),
        description=params.get("AlarmDescription", ""),
        dimensions=params.get("Dimensions") or [],
        alarm_actions=params.get("AlarmActions") or [],
        datapoints_to_alarm=params.get("DatapointsToAlarm"),
        extended_statistic=params.get("ExtendedStatistic"),
        ok_actions=params.get("OKActions"),
        insufficient_data_actions=params.get("InsufficientDataActions"),
        unit=params.get("Unit"),
        treat_missing_data=params.get("TreatMissingData"),
    )
    return str(params["AlarmName"])


MOTO_POSITIONAL = (
    "deployment_config_name",
    "ec2_tag_filters",
    "on_premises_instance_tag_filters",
    "auto_scaling_groups",
)
"""moto's create_deployment_group takes these without defaults: None when not given."""
MAKERS = {APPLICATION: _application, GROUP: _group, ALARM: _alarm}


def _attributes(region: str, kind: str, name: str) -> dict[str, str]:
    if kind == ALARM:
        return {"Arn": f"arn:aws:cloudwatch:{region}:{moto_state.ACCOUNT}:alarm:{name}"}
    return {}


def _name(stack: Any, logical: str) -> str:
    """CloudFormation's name for a resource not given one: stack-LogicalId-SUFFIX."""
    suffix = "".join(random.choices(string.ascii_uppercase + string.digits, k=12))
    return f"{stack.name}-{logical}-{suffix}"


def _fail(stack: Any, logical: str, reason: str) -> None:
    from moto.cloudformation.models import Event

    status = "UPDATE_FAILED" if stack.status.startswith("UPDATE") else "CREATE_FAILED"
    log.warning("stack %s: %s: %s", stack.name, logical, reason)
    stack.events.append(
        Event(
            stack_id=stack.stack_id,
            stack_name=stack.name,
            logical_resource_id=logical,
            physical_resource_id="",
            resource_type=stack.template_dict["Resources"][logical]["Type"],
            resource_status=status,
            resource_status_reason=reason,
            resource_properties=None,
        )
    )
    stack.status = status
