"""An ECS service's `deploymentConfiguration`, checked as ECS checks it and read
into what our engine runs.

ECS's own blue/green, canary and linear strategies
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-blue-green.html,
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/canary-deployment.html,
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-linear.html)
are refused, with InvalidParameterException naming every problem at once,
when botocore's model says ECS would: `earlySuccessCriteria` outside ROLLING,
BLUE_GREEN without `bakeTimeInMinutes`, a PAUSE hook at TEST_TRAFFIC_SHIFT or
PRODUCTION_TRAFFIC_SHIFT or with a `hookTargetArn`, an AWS_LAMBDA hook without
one, percentages and bake times out of range, a strategy without the ECS
deployment controller, and a load balancer without the `advancedConfiguration`
(`alternateTargetGroupArn`, `productionListenerRule`) the traffic shift needs
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/alb-resources-for-blue-green.html).
A Lambda hook at a stage our engine has no hook point for (RECONCILE_SERVICE,
TEST_TRAFFIC_SHIFT, PRODUCTION_TRAFFIC_SHIFT) is refused too, saying the
emulator can't run it, rather than skipped.

Defaults are the model's: canary 5 % for 10 minutes, linear 10 % every 6
minutes, a hook's timeout 1440 minutes with ROLLBACK. The schedule is in
whole percent (ALB's weights are integers): 0.5 % is 1 %.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..vocabulary import LifecycleEvent
from .protocol import AwsError

MINUTE = 60.0
NATIVE = ("BLUE_GREEN", "CANARY", "LINEAR")
HOOK_EVENTS = {
    "PRE_SCALE_UP": LifecycleEvent.BEFORE_INSTALL,
    "POST_SCALE_UP": LifecycleEvent.AFTER_INSTALL,
    "POST_TEST_TRAFFIC_SHIFT": LifecycleEvent.AFTER_ALLOW_TEST_TRAFFIC,
    "PRE_PRODUCTION_TRAFFIC_SHIFT": LifecycleEvent.BEFORE_ALLOW_TRAFFIC,
    "POST_PRODUCTION_TRAFFIC_SHIFT": LifecycleEvent.AFTER_ALLOW_TRAFFIC,
}
"""ECS's hook stages, as the engine's hook points."""
LAMBDA_ONLY = ("TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT")
DEFAULT_HOOK_MINUTES = 1440
BAKE_RANGE = (0, 1440)


@dataclass(frozen=True)
class Hook:
    """One lifecycle hook at one stage: PAUSE, or AWS_LAMBDA with its function."""

    stage: str
    target_type: str
    target_arn: str | None
    timeout_minutes: int
    timeout_action: str

    @property
    def event(self) -> LifecycleEvent:
        return HOOK_EVENTS[self.stage]


@dataclass(frozen=True)
class Routing:
    """Where a service deployment moves traffic: both target groups, both rules."""

    target_group: str
    alternate_group: str
    production_rule: str
    test_rule: str | None


def strategy(configuration: Mapping[str, Any] | None) -> str:
    return str((configuration or {}).get("strategy") or "ROLLING")


def problems(
    configuration: Mapping[str, Any], controller: str, load_balancers: list[Mapping[str, Any]]
) -> list[str]:
    """What ECS would refuse in a service's deployment settings; [] when none."""
    found = []
    kind = strategy(configuration)
    if kind != "ROLLING" and configuration.get("earlySuccessCriteria"):
        found.append(f"earlySuccessCriteria can only be used with ROLLING, not {kind}")
    if kind not in NATIVE:
        return found
    if controller != "ECS":
        found.append(f"strategy {kind} needs deploymentController ECS, not {controller}")
    if kind == "BLUE_GREEN" and configuration.get("bakeTimeInMinutes") is None:
        found.append("bakeTimeInMinutes is required with the BLUE_GREEN strategy")
    found += _range_problems(configuration)
    found += [p for raw in configuration.get("lifecycleHooks") or [] for p in _hook_problems(raw)]
    if not any(_advanced(lb) for lb in load_balancers):
        found.append(
            f"strategy {kind} needs loadBalancers[].advancedConfiguration with "
            "alternateTargetGroupArn and productionListenerRule"
        )
    return found


def _range_problems(configuration: Mapping[str, Any]) -> list[str]:
    checks = [
        ("bakeTimeInMinutes", configuration.get("bakeTimeInMinutes"), BAKE_RANGE),
        ("canaryConfiguration.canaryPercent", _canary(configuration)[0], (0.1, 100.0)),
        ("canaryConfiguration.canaryBakeTimeInMinutes", _canary(configuration)[1], BAKE_RANGE),
        ("linearConfiguration.stepPercent", _linear(configuration)[0], (3.0, 100.0)),
        ("linearConfiguration.stepBakeTimeInMinutes", _linear(configuration)[1], BAKE_RANGE),
    ]
    return [
        f"{name} is {value}; valid values are {low} to {high}"
        for name, value, (low, high) in checks
        if value is not None and not low <= float(value) <= high
    ]


def _hook_problems(raw: Mapping[str, Any]) -> list[str]:
    kind, arn = raw.get("targetType"), raw.get("hookTargetArn")
    found = []
    if kind == "PAUSE" and arn:
        found.append("a PAUSE hook takes no hookTargetArn")
    if kind == "AWS_LAMBDA" and not arn:
        found.append("an AWS_LAMBDA hook needs hookTargetArn (the function's ARN)")
    for stage in raw.get("lifecycleStages") or []:
        if kind == "PAUSE" and stage in LAMBDA_ONLY:
            found.append(f"PAUSE hooks cannot be configured at {stage}")
        elif stage not in HOOK_EVENTS:
            found.append(f"the bluegreen emulator runs no lifecycle hook at {stage}")
    return found


def hooks(configuration: Mapping[str, Any]) -> tuple[Hook, ...]:
    """Every (hook, stage) of a checked configuration, in the order given."""
    found = []
    for raw in configuration.get("lifecycleHooks") or []:
        timeout = raw.get("timeoutConfiguration") or {}
        for stage in raw.get("lifecycleStages") or []:
            found.append(
                Hook(
                    stage=str(stage),
                    target_type=str(raw["targetType"]),
                    target_arn=raw.get("hookTargetArn"),
                    timeout_minutes=int(timeout.get("timeoutInMinutes", DEFAULT_HOOK_MINUTES)),
                    timeout_action=str(timeout.get("action", "ROLLBACK")),
                )
            )
    return tuple(found)


def schedule(configuration: Mapping[str, Any], scale: float) -> tuple[tuple[float, int], ...]:
    """(offset in seconds, green percent) steps of the production traffic shift."""
    kind = strategy(configuration)
    if kind == "CANARY":
        percent, bake = _canary(configuration)
        return ((0.0, _whole(percent or 5.0)), (_minutes(bake, 10) * scale, 100))
    if kind == "LINEAR":
        percent, bake = _linear(configuration)
        step, every = _whole(percent or 10.0), _minutes(bake, 6) * scale
        return tuple((i * every, min(100, (i + 1) * step)) for i in range(-(-100 // step)))
    return ((0.0, 100),)


def bake_time(configuration: Mapping[str, Any], scale: float) -> float:
    return _minutes(configuration.get("bakeTimeInMinutes"), 0) * scale


def routing(load_balancers: list[Mapping[str, Any]]) -> Routing:
    for entry in load_balancers:
        advanced = _advanced(entry)
        if advanced:
            return Routing(
                str(entry["targetGroupArn"]),
                str(advanced["alternateTargetGroupArn"]),
                str(advanced["productionListenerRule"]),
                advanced.get("testListenerRule"),
            )
    raise AwsError("InvalidParameterException", "no load balancer has an advancedConfiguration")


def _advanced(entry: Mapping[str, Any]) -> Mapping[str, Any] | None:
    advanced = entry.get("advancedConfiguration") or {}
    wanted = advanced.get("alternateTargetGroupArn") and advanced.get("productionListenerRule")
    return advanced if wanted and entry.get("targetGroupArn") else None


def _canary(configuration: Mapping[str, Any]) -> tuple[Any, Any]:
    canary = configuration.get("canaryConfiguration") or {}
    return canary.get("canaryPercent"), canary.get("canaryBakeTimeInMinutes")


def _linear(configuration: Mapping[str, Any]) -> tuple[Any, Any]:
    linear = configuration.get("linearConfiguration") or {}
    return linear.get("stepPercent"), linear.get("stepBakeTimeInMinutes")


def _whole(percent: float) -> int:
    return max(1, min(100, round(float(percent))))


def _minutes(value: Any, default: int) -> float:
    return float(default if value is None else value) * MINUTE
