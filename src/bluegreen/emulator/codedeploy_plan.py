"""A CreateDeployment request turned into what the engine and the driver need.

Read from the deployment group (moto stores it) and the revision:
- the AppSpec (`revisionType` AppSpecContent; YAML or JSON text), its
  `TargetService` task definition and load balancer container; `sha256`, when
  given, must be the hex SHA-256 of exactly `content`
  (https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_AppSpecContent.html;
  that an empty or wrong hash is refused is *inferred*: AWS documents the
  field as the content's hash, not what it does with another value);
- `blueGreenDeploymentConfiguration`: `deploymentReadyOption` STOP_DEPLOYMENT
  waits `waitTimeInMinutes` in Ready, CONTINUE_DEPLOYMENT reroutes at once;
  `terminateBlueInstancesOnDeploymentSuccess.terminationWaitTimeInMinutes`
  (https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-groups-create-ecs.html)
  and its `action`: KEEP_ALIVE leaves the original tasks "running after they
  are deregistered from the load balancer"
  (https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_BlueInstanceTerminationOption.html);
- `autoRollbackConfiguration` (the request's overrides the group's) and
  `alarmConfiguration`
  (https://docs.aws.amazon.com/codedeploy/latest/userguide/deployments-rollback-and-redeploy.html);
- the AppSpec's `Hooks` (event: Lambda function), each given an hour to report
  (https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-hooks.html);
- `loadBalancerInfo.targetGroupPairInfoList[0]`: the pair of target groups by
  name, `prodTrafficRoute` and the optional `testTrafficRoute`.
Every duration is multiplied by `--time-scale`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import yaml

from ..engine.deployment_settings import DeploymentSettings, ValidationSettings
from ..vocabulary import HOOKABLE, AutoRollback, LifecycleEvent, ReadyAction
from . import moto_state
from .codedeploy_configs import StoredConfig
from .codedeploy_run import Wiring
from .protocol import AwsError

MINUTE = 60.0
INSTALL_TIMEOUT = 3600.0
HOOK_TIMEOUT = 3600.0
"""A hook that reports no status within an hour fails the deployment."""
"""CodeDeploy gives a replacement task set an hour to become healthy."""


@dataclass(frozen=True)
class Plan:
    settings: DeploymentSettings
    wiring: Wiring


def appspec_of(revision: Mapping[str, Any]) -> dict[str, Any]:
    """The AppSpec document of an AppSpecContent revision, its hash checked."""
    if revision.get("revisionType") != "AppSpecContent":
        raise AwsError(
            "InvalidRevisionException",
            "the emulator takes ECS revisions as AppSpecContent (S3 and String are not emulated)",
        )
    content = revision.get("appSpecContent") or {}
    text = content.get("content") or ""
    if "sha256" in content and content["sha256"] != hashlib.sha256(text.encode()).hexdigest():
        raise AwsError(
            "InvalidRevisionException",
            "appSpecContent.sha256 is not the SHA-256 of appSpecContent.content",
        )
    try:
        document = yaml.safe_load(text) if text.strip() else None
    except yaml.YAMLError as exc:
        raise AwsError(
            "InvalidRevisionException", f"the AppSpec is not YAML or JSON: {exc}"
        ) from None
    if not isinstance(document, dict):
        raise AwsError("InvalidRevisionException", "the AppSpec content is empty or not a map")
    return document


def target_service(document: Mapping[str, Any]) -> Mapping[str, Any]:
    try:
        properties = document["Resources"][0]["TargetService"]["Properties"]
        properties["TaskDefinition"], properties["LoadBalancerInfo"]["ContainerName"]
    except (KeyError, IndexError, TypeError):
        raise AwsError(
            "InvalidRevisionException",
            "the AppSpec needs Resources[0].TargetService.Properties with TaskDefinition and "
            "LoadBalancerInfo.ContainerName",
        ) from None
    return dict(properties)


def hooks_of(document: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """(event, function) of the AppSpec's `Hooks` list of single-key maps."""
    found = []
    hookable = {e.value for e in HOOKABLE}
    for entry in document.get("Hooks") or []:
        if not isinstance(entry, dict) or len(entry) != 1:
            raise AwsError("InvalidRevisionException", "each AppSpec hook is one event: function")
        (event, function), *_ = entry.items()
        if event not in hookable:
            raise AwsError(
                "InvalidRevisionException",
                f"AppSpec hook {event!r}: ECS hooks are {', '.join(sorted(hookable))}",
            )
        found.append((str(event), str(function)))
    return tuple(found)


def plan(
    region: str,
    group: Any,
    request: Mapping[str, Any],
    config: StoredConfig,
    scale: float,
    serving: Mapping[str, str],
) -> Plan:
    """Settings and wiring for one deployment; AwsError naming what is wrong.
    `serving`: service ARN → the target group its tasks serve from now (it
    alternates with every deployment)."""
    document = appspec_of(request["revision"])
    properties = target_service(document)
    hooks = hooks_of(document)
    taskdef = _task_definition(region, str(properties["TaskDefinition"]))
    service = _service(region, group)
    blue = _blue_revision(region, service)
    current = serving.get(service.arn) or _service_group(service)
    bluegreen = group.blue_green_deployment_configuration or {}
    ready = bluegreen.get("deploymentReadyOption") or {}
    waits = ready.get("actionOnTimeout") == ReadyAction.STOP
    termination = bluegreen.get("terminateBlueInstancesOnDeploymentSuccess") or {}
    wiring = replace(
        _wiring(region, group, service, taskdef.arn, current),
        hooks=hooks,
        keep_blue=termination.get("action") == "KEEP_ALIVE",
    )
    schedule = tuple((offset * scale, green) for offset, green in config.shift.schedule())
    settings = DeploymentSettings(
        revision=f"{taskdef.family}:{taskdef.revision}",
        blue_revision=blue,
        desired_count=max(1, int(service.desired_count)),
        schedule=schedule,
        config_name=config.name,
        hooks={LifecycleEvent(event): HOOK_TIMEOUT * scale for event, _ in hooks},
        install_timeout=INSTALL_TIMEOUT * scale,
        validation=ValidationSettings(consecutive_successes=1, deadline=INSTALL_TIMEOUT * scale),
        ready_wait=float(ready.get("waitTimeInMinutes", 0)) * MINUTE * scale if waits else 0.0,
        ready_timeout_action=ReadyAction.STOP,
        termination_wait=float(termination.get("terminationWaitTimeInMinutes", 0)) * MINUTE * scale,
        auto_rollback=_rollback_events(
            request.get("autoRollbackConfiguration") or group.auto_rollback_configuration
        ),
    )
    return Plan(settings, wiring)


def _rollback_events(configuration: Mapping[str, Any] | None) -> frozenset[AutoRollback]:
    if not configuration or not configuration.get("enabled"):
        return frozenset()
    return frozenset(AutoRollback(e) for e in configuration.get("events") or ())


def _task_definition(region: str, arn: str) -> Any:
    try:
        return moto_state.ecs(region).describe_task_definition(arn)
    except Exception:
        raise AwsError(
            "InvalidRevisionException", f"the AppSpec's TaskDefinition {arn} is not registered"
        ) from None


def _service(region: str, group: Any) -> Any:
    services = group.ecs_services or []
    if not services:
        raise AwsError("InvalidECSServiceException", "the deployment group names no ECS service")
    first = services[0]
    try:
        return moto_state.service(region, first["clusterName"], first["serviceName"])
    except KeyError:
        raise AwsError(
            "InvalidECSServiceException",
            f"ECS service {first['serviceName']} in cluster {first['clusterName']} does not exist",
        ) from None


def _blue_revision(region: str, service: Any) -> str:
    current = moto_state.ecs(region).describe_task_definition(service.task_definition)
    return f"{current.family}:{current.revision}"


def _wiring(region: str, group: Any, service: Any, taskdef_arn: str, current: str) -> Wiring:
    pairs = (group.load_balancer_info or {}).get("targetGroupPairInfoList") or []
    if not pairs or len(pairs[0].get("targetGroups") or []) != 2:
        raise AwsError(
            "InvalidTargetGroupPairException",
            "loadBalancerInfo.targetGroupPairInfoList needs one pair of two target groups",
        )
    pair = pairs[0]
    arns = [_group_arn(region, g["name"]) for g in pair["targetGroups"]]
    if current not in arns:
        raise AwsError(
            "InvalidTargetGroupPairException",
            "neither target group of the pair is the ECS service's",
        )
    green = arns[1] if current == arns[0] else arns[0]
    prod = ((pair.get("prodTrafficRoute") or {}).get("listenerArns") or [None])[0]
    if prod is None:
        raise AwsError(
            "InvalidTrafficRoutingConfigurationException",
            "prodTrafficRoute.listenerArns needs the production listener",
        )
    test = ((pair.get("testTrafficRoute") or {}).get("listenerArns") or [None])[0]
    alarms = _alarm_names(group.alarm_configuration)
    return Wiring(region, service.arn, taskdef_arn, current, green, prod, test, alarms)


def _alarm_names(configuration: Any) -> tuple[str, ...]:
    """The group's alarms when enabled (moto keeps the request's dict or its own object)."""
    if configuration is None:
        return ()
    if not isinstance(configuration, dict):
        configuration = {"enabled": configuration.enabled, "alarms": configuration.alarms}
    if not configuration.get("enabled"):
        return ()
    return tuple(str(alarm["name"]) for alarm in configuration.get("alarms") or ())


def _group_arn(region: str, name: str) -> str:
    for arn, group in moto_state.elbv2(region).target_groups.items():
        if group.name == name:
            return str(arn)
    raise AwsError("InvalidTargetGroupPairException", f"no target group named {name}")


def _service_group(service: Any) -> str:
    for entry in service.load_balancers or []:
        if entry.get("targetGroupArn"):
            return str(entry["targetGroupArn"])
    raise AwsError("InvalidECSServiceException", "the ECS service has no target group")
