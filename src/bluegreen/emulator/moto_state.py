"""The one place that reads moto's backends (its in-memory resources) directly.

The behaviours act on what moto stored (a listener's default actions, a
target group's health check, a deployment group's settings); reading the
backend objects is quicker and simpler than asking moto over HTTP, and
keeping every such read here means a moto upgrade changes one module.
"""

from __future__ import annotations

from typing import Any

ACCOUNT = "123456789012"
"""moto's default account: every emulated resource lives in it."""


def elbv2(region: str) -> Any:
    from moto.elbv2.models import elbv2_backends

    return elbv2_backends[ACCOUNT][region]


def ecs(region: str) -> Any:
    from moto.ecs.models import ecs_backends

    return ecs_backends[ACCOUNT][region]


def codedeploy(region: str) -> Any:
    from moto.codedeploy.models import codedeploy_backends

    return codedeploy_backends[ACCOUNT][region]


def cloudwatch(region: str) -> Any:
    from moto.cloudwatch.models import cloudwatch_backends

    return cloudwatch_backends[ACCOUNT][region]


def cloudformation(region: str) -> Any:
    from moto.cloudformation.models import cloudformation_backends

    return cloudformation_backends[ACCOUNT][region]


def ecr(region: str) -> Any:
    from moto.ecr.models import ecr_backends

    return ecr_backends[ACCOUNT][region]


def ecr_repository_exists(name: str) -> bool:
    """Whether CreateRepository made `name` in any region (the emulator's one registry
    serves them all)."""
    from moto.ecr.models import ecr_backends

    return any(name in backend.repositories for backend in list(ecr_backends[ACCOUNT].values()))


def listeners(region: str) -> list[Any]:
    return [
        listener
        for balancer in elbv2(region).load_balancers.values()
        for listener in balancer.listeners.values()
    ]


def forward_weights(actions: list[Any]) -> dict[str, int] | None:
    """Target group ARN → weight of the first forward action; None when there is none."""
    for action in actions:
        data = action.data
        if data.get("Type") != "forward":
            continue
        groups = (data.get("ForwardConfig") or {}).get("TargetGroups") or []
        if groups:
            return {g["TargetGroupArn"]: int(g.get("Weight", 1)) for g in groups}
        return {data["TargetGroupArn"]: 1}
    return None


def set_forward(region: str, listener_arn: str, weights: dict[str, int]) -> None:
    """Make the listener's default action a weighted forward, as ModifyListener would
    (CodeDeploy moves traffic this way: DescribeListeners shows the weights)."""
    from moto.elbv2.models import FakeAction

    for listener in listeners(region):
        if listener.arn == listener_arn:
            groups = [{"TargetGroupArn": arn, "Weight": w} for arn, w in weights.items()]
            action = FakeAction({"Type": "forward", "ForwardConfig": {"TargetGroups": groups}})
            listener.default_actions = [action]
            listener._default_rule[0].actions = [action]
            return
    raise KeyError(listener_arn)


def listener_rules(listener: Any) -> list[Any]:
    """A listener's rules other than its default one, in the order moto keeps them."""
    return list(listener._non_default_rules.values())


def rule(region: str, rule_arn: str) -> Any:
    """A listener rule by ARN (KeyError when no listener has it)."""
    for listener in listeners(region):
        found = listener._non_default_rules.get(rule_arn)
        if found is not None:
            return found
    raise KeyError(rule_arn)


def set_rule_forward(region: str, rule_arn: str, weights: dict[str, int]) -> None:
    """Make a listener rule's action a weighted forward, as ModifyRule would (ECS moves
    traffic this way for its own blue/green deployments)."""
    from moto.elbv2.models import FakeAction

    groups = [{"TargetGroupArn": arn, "Weight": w} for arn, w in weights.items()]
    rule(region, rule_arn).actions = [
        FakeAction({"Type": "forward", "ForwardConfig": {"TargetGroups": groups}})
    ]


def service(region: str, cluster: str, name: str) -> Any:
    """An ECS service by cluster and service name or ARN."""
    backend = ecs(region)
    cluster_name = cluster.rpartition("/")[2]
    service_name = name.rpartition("/")[2]
    return backend.services[f"{cluster_name}:{service_name}"]


def service_arn(region: str, cluster: str, name: str) -> str:
    cluster_name = cluster.rpartition("/")[2]
    return f"arn:aws:ecs:{region}:{ACCOUNT}:service/{cluster_name}/{name.rpartition('/')[2]}"


def alarm_states(region: str, names: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """(name, state, state reason) of the named CloudWatch alarms that exist."""
    alarms = cloudwatch(region).alarms
    found = [alarms[name] for name in names if name in alarms]
    return [(a.name, str(a.state_value), str(a.state_reason)) for a in found]


def deployment_configuration(service: Any) -> dict[str, Any]:
    """A service's deploymentConfiguration as last sent (moto keeps UpdateService's)."""
    return dict(getattr(service, "deployment_configuration", None) or {})


def set_deployment_configuration(service: Any, configuration: dict[str, Any]) -> None:
    """Keep CreateService's deploymentConfiguration, which moto drops, so that
    DescribeServices shows it as ECS does."""
    service.deployment_configuration = configuration


def set_service_task_definition(region: str, service_arn: str, taskdef_arn: str) -> None:
    """After a deployment succeeded, DescribeServices shows the new task definition."""
    for found in ecs(region).services.values():
        if found.arn == service_arn:
            found.task_definition = taskdef_arn


def group_name(region: str, arn: str) -> str:
    return str(elbv2(region).target_groups[arn].name)
