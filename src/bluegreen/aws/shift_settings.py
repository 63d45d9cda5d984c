"""A bluegreen deployment config in the terms of each AWS service.

CodeDeploy takes a deployment config by name: one of its five predefined
ones, one the user made (which must exist), or one bluegreen makes from a
table. Deployment configs cannot be changed once made, so bluegreen names
its own after their content: the same table always finds the same config,
and a changed table makes a new one. ECS takes the strategy inline in
UpdateService. Both count in whole minutes where a table counts in
seconds: an interval that is not a whole number of minutes is refused, not
rounded, because rounding would change the schedule the user rehearsed.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from ..errors import Problem, SpecError, UsageError
from ..spec.deployment_config import PREDEFINED, DeploymentConfig, ShiftType
from ..spec.duration import format_duration
from .session import error_code

FIELD = "deployment.config"
ECS_LINEAR_PERCENT = (3, 100)


def whole_minutes(shift: DeploymentConfig, service: str, source: str) -> int:
    """The table's interval in minutes, or a SpecError naming the field (exit 2)."""
    if shift.type is ShiftType.ALL_AT_ONCE:
        return 0
    if shift.interval % 60:
        raise SpecError(
            Problem(
                source,
                f"{FIELD}.interval",
                f"{format_duration(shift.interval)} is not a whole number of minutes, which "
                f"{service} counts in; use a multiple of 60s",
            )
        )
    return int(shift.interval // 60)


def ecs_strategy(shift: DeploymentConfig, source: str) -> dict[str, Any]:
    """UpdateService's strategy keys for a deployment config."""
    if shift.type is ShiftType.NAMED:
        raise SpecError(Problem(source, FIELD, f"{shift.name!r}: {NAMED_ON_ECS}"))
    if shift.type is ShiftType.ALL_AT_ONCE:
        return {"strategy": "BLUE_GREEN"}
    bake = whole_minutes(shift, "ECS", source)
    if shift.type is ShiftType.CANARY:
        canary = {"canaryPercent": float(shift.percent), "canaryBakeTimeInMinutes": bake}
        return {"strategy": "CANARY", "canaryConfiguration": canary}
    low, high = ECS_LINEAR_PERCENT
    if not low <= shift.percent <= high:
        raise SpecError(
            Problem(source, f"{FIELD}.percent", f"ECS moves {low} to {high} % per linear step")
        )
    linear = {"stepPercent": float(shift.percent), "stepBakeTimeInMinutes": bake}
    return {"strategy": "LINEAR", "linearConfiguration": linear}


NAMED_ON_ECS = (
    "a CodeDeploy deployment config, which ECS's own deployments cannot use; "
    'use a table such as { type = "canary", percent = 10, interval = "5m" }'
)


def traffic_routing(shift: DeploymentConfig, source: str) -> dict[str, Any]:
    """CreateDeploymentConfig's trafficRoutingConfig for a table."""
    if shift.type is ShiftType.ALL_AT_ONCE:
        return {"type": "AllAtOnce"}
    minutes = whole_minutes(shift, "CodeDeploy", source)
    if shift.type is ShiftType.CANARY:
        canary = {"canaryPercentage": shift.percent, "canaryInterval": minutes}
        return {"type": "TimeBasedCanary", "timeBasedCanary": canary}
    linear = {"linearPercentage": shift.percent, "linearInterval": minutes}
    return {"type": "TimeBasedLinear", "timeBasedLinear": linear}


def own_name(shift: DeploymentConfig, minutes: int) -> str:
    """The name of a table's config: its `name`, else what it does in CodeDeploy's words."""
    if shift.name:
        return shift.name
    if shift.type is ShiftType.CANARY:
        return f"bluegreen.ECSCanary{shift.percent}Percent{minutes}Minutes"
    return f"bluegreen.ECSLinear{shift.percent}PercentEvery{minutes}Minutes"


def predefined_like(shift: DeploymentConfig) -> str | None:
    """The predefined config a table without a name spells out again, if any."""
    if shift.name is not None:
        return None
    for name, known in PREDEFINED.items():
        if (known.type, known.percent, known.interval) == (
            shift.type,
            shift.percent,
            shift.interval,
        ):
            return name
    return None


def codedeploy_config(codedeploy: Any, shift: DeploymentConfig, source: str) -> str:
    """The deploymentConfigName for CreateDeployment: checked to exist, made if ours."""
    if shift.predefined:
        return str(shift.name)
    if shift.type is ShiftType.NAMED:
        _existing(codedeploy, str(shift.name), source)
        return str(shift.name)
    known = predefined_like(shift)
    if known:
        return known
    routing = traffic_routing(shift, source)
    name = own_name(shift, whole_minutes(shift, "CodeDeploy", source))
    wanted = {"computePlatform": "ECS", "trafficRoutingConfig": routing}
    try:
        codedeploy.create_deployment_config(deploymentConfigName=name, **wanted)
    except ClientError as exc:
        if error_code(exc) != "DeploymentConfigAlreadyExistsException":
            raise
        _check_matches(_existing(codedeploy, name, source), wanted, name)
    return name


def _existing(codedeploy: Any, name: str, source: str) -> dict[str, Any]:
    try:
        info = codedeploy.get_deployment_config(deploymentConfigName=name)
    except ClientError as exc:
        if error_code(exc) != "DeploymentConfigDoesNotExistException":
            raise
        raise SpecError(
            Problem(source, FIELD, f"CodeDeploy has no deployment config {name!r} here")
        ) from None
    found = dict(info["deploymentConfigInfo"])
    if found.get("computePlatform") != "ECS":
        platform = found.get("computePlatform", "unknown")
        raise SpecError(
            Problem(source, FIELD, f"deployment config {name!r} is for {platform}, not ECS")
        )
    return found


def _check_matches(found: dict[str, Any], wanted: dict[str, Any], name: str) -> None:
    """A config of that name already exists: fine if it shifts as the table says."""
    if found.get("trafficRoutingConfig") != wanted["trafficRoutingConfig"]:
        raise UsageError(
            f"deployment config {name} already exists with trafficRoutingConfig "
            f"{found.get('trafficRoutingConfig')}, not {wanted['trafficRoutingConfig']}; "
            "delete it or give the table another `name`"
        )
