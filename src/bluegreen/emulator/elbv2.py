"""ELBv2 made real: every listener moto stores is a port served by `bluegreen.lb`.

After each ELBv2 call that changes load balancers, listeners, rules, target
groups or targets, what moto now holds is applied to the load balancer
(`sync`): a target group becomes an `lb.TargetGroup` with the group's ALB
health check and deregistration delay, its registered targets are probed,
and a listener's default forward action becomes the listener's weights,
exactly (weights 0 to 999, as ALB takes them). A listener binds its own
port on 127.0.0.1 when it can; otherwise (a port under 1024, a port in use)
a free one, shown at `GET /_bluegreen/listeners`.

DescribeTargetHealth answers from our health checks with ALB's states and
reason codes, as listed on
https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html
(`Elb.InitialHealthChecking`, `Target.ResponseCodeMismatch`, `Target.Timeout`,
`Target.FailedHealthChecks`, `Target.DeregistrationInProgress`, `Target.NotInUse`,
`Target.NotRegistered`), each from the target's own last check (`lb.target_health`).
A listener's rules (`listener_rules.py`) are routed on its port by
priority, with the default action for what none matches.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..lb.target import Target, TargetState
from ..lb.target_group import TargetGroup
from ..spec.config import HealthCheckConfig
from . import moto_state
from .endpoint import Behaviour
from .listener_rules import rules_of
from .protocol import AwsError, Call

if TYPE_CHECKING:
    from .world import World

log = logging.getLogger(__name__)

CHANGES = (
    *("CreateTargetGroup", "ModifyTargetGroup", "ModifyTargetGroupAttributes", "DeleteTargetGroup"),
    *("CreateListener", "ModifyListener", "DeleteListener", "DeleteLoadBalancer"),
    *("CreateRule", "ModifyRule", "DeleteRule", "SetRulePriorities"),
    *("RegisterTargets", "DeregisterTargets"),
)
DELAY_ATTRIBUTE = "deregistration_delay.timeout_seconds"

NOT_REGISTERED = ("Target.NotRegistered", "Target is not registered to the target group")
NOT_IN_USE = ("Target.NotInUse", "Target group is not configured to receive traffic from the LB")


def _reason(target: Target | None) -> tuple[str, str] | None:
    """ALB's reason code and description, from the target's own last health check."""
    if target is None:
        return NOT_REGISTERED
    found = target.reason
    return (str(found.code), found.description) if found is not None else None


class Elbv2:
    def __init__(self, world: World) -> None:
        self.world = world
        self.requested_ports: dict[str, int] = {}
        # ALB knows a target by id *and* port (moto by id only), so two tasks on
        # 127.0.0.1 are two targets: the registrations are kept here.
        self.targets: dict[str, set[tuple[str, int]]] = {}

    def behaviour(self) -> Behaviour:
        return Behaviour(
            own={("elbv2", "DescribeTargetHealth"): self.describe_target_health},
            after={("elbv2", operation): self._changed for operation in CHANGES},
            pages={
                "/_bluegreen/listeners": self.listeners_page,
                "/_bluegreen/target-groups": self.groups_page,
            },
        )

    def _changed(self, call: Call) -> None:
        if call.operation in ("RegisterTargets", "DeregisterTargets"):
            self._note_targets(call)
        self.world.loop.run(self.sync(call.region))

    def _note_targets(self, call: Call) -> None:
        arn = call.params["TargetGroupArn"]
        default_port = int(moto_state.elbv2(call.region).target_groups[arn].port or 80)
        named = {(t["Id"], int(t.get("Port", default_port))) for t in call.params["Targets"]}
        known = self.targets.setdefault(arn, set())
        if call.operation == "RegisterTargets":
            known |= named
        else:
            known -= named

    async def add_target(self, region: str, group: str, host: str, port: int) -> None:
        """Register a task's address, as ECS does for a task set's tasks."""
        self.targets.setdefault(group, set()).add((host, port))
        await self.sync(region)

    async def remove_target(self, region: str, group: str, host: str, port: int) -> None:
        self.targets.get(group, set()).discard((host, port))
        await self.sync(region)

    async def sync(self, region: str) -> None:
        """Make the load balancer match what moto holds for `region`."""
        backend = moto_state.elbv2(region)
        for group in backend.target_groups.values():
            self._sync_group(group)
        live = {listener.arn: listener for listener in moto_state.listeners(region)}
        balancer = self.world.balancer
        for arn in [a for a in balancer.listeners if _region(a) == region and a not in live]:
            await balancer.listeners.pop(arn).close()
        for arn in [a for a in self.targets if a not in backend.target_groups]:
            del self.targets[arn]
        for arn, listener in live.items():
            if arn not in balancer.listeners:
                await self._open(arn, int(listener.port))
            weights = moto_state.forward_weights(listener.default_actions)
            if weights is None:
                log.warning("listener %s: only forward actions are emulated", arn)
            balancer.listeners[arn].set_weights(weights or {})
            balancer.listeners[arn].set_rules(rules_of(listener))

    def _sync_group(self, moto_group: Any) -> None:
        groups = self.world.balancer.groups
        health = self._health(moto_group)
        delay = float(moto_group.attributes.get(DELAY_ATTRIBUTE, 300)) * self.world.scale
        group = groups.get(moto_group.arn)
        if group is None:
            group = self.world.balancer.add_target_group(
                moto_group.arn, health, deregistration_delay=delay
            )
        group.health, group.deregistration_delay = health, delay
        wanted = self.targets.get(moto_group.arn, set())
        for target in list(group.targets):
            if (target.host, target.port) not in wanted:
                self.world.loop.spawn(group.deregister(target))
        for host, port in wanted:
            group.register(host, port)

    def _health(self, group: Any) -> HealthCheckConfig:
        scale = self.world.scale
        try:
            return HealthCheckConfig(
                path=group.health_check_path or "/",
                interval=float(group.health_check_interval_seconds) * scale,
                timeout=float(group.health_check_timeout_seconds) * scale,
                healthy_threshold=int(group.healthy_threshold_count),
                unhealthy_threshold=int(group.unhealthy_threshold_count),
                matcher=(group.matcher or {}).get("HttpCode", "200"),
            )
        except ValueError as exc:
            raise AwsError("ValidationError", f"target group {group.name}: {exc}") from None

    async def _open(self, arn: str, port: int) -> None:
        self.requested_ports[arn] = port
        try:
            await self.world.balancer.add_listener(arn, port)
        except OSError as exc:
            listener = await self.world.balancer.add_listener(arn, 0)
            log.warning("listener %s: port %d: %s; serving on %d", arn, port, exc, listener.port)

    def describe_target_health(self, call: Call) -> Mapping[str, Any]:
        arn = call.params["TargetGroupArn"]
        if arn not in moto_state.elbv2(call.region).target_groups:
            raise AwsError("TargetGroupNotFound", "One or more target groups not found")
        group = self.world.balancer.groups[arn]
        asked = call.params.get("Targets")
        targets = [(t["Id"], t.get("Port")) for t in asked] if asked else None
        return {"TargetHealthDescriptions": self._descriptions(group, targets)}

    def _descriptions(
        self, group: TargetGroup, asked: list[tuple[str, int | None]] | None
    ) -> list[dict[str, Any]]:
        used = any(arn_weight.get(group.name) for arn_weight in self._all_weights())
        found = {(t.host, t.port): t for t in group.targets}
        keys = asked if asked is not None else list(found)
        descriptions = []
        for host, port in keys:
            target = found.get((host, port)) if port is not None else None
            state = target.state if target is not None else TargetState.UNUSED
            reason = _reason(target)
            if target is not None and not used and state is not TargetState.DRAINING:
                state, reason = TargetState.UNUSED, NOT_IN_USE
            health: dict[str, Any] = {"State": state.value}
            if reason:
                health["Reason"], health["Description"] = reason
            descriptions.append(
                {
                    "Target": {"Id": host, **({"Port": port} if port is not None else {})},
                    "HealthCheckPort": str(port or "traffic-port"),
                    "TargetHealth": health,
                }
            )
        return descriptions

    def _all_weights(self) -> list[Mapping[str, int]]:
        """The default weights of every listener and the weights of every rule."""
        found: list[Mapping[str, int]] = []
        for listener in self.world.balancer.listeners.values():
            found.append(listener.weights)
            found += [rule.weights for rule in listener.rules.rules] if listener.rules else []
        return found

    def listeners_page(self) -> Mapping[str, Any]:
        """Where each listener really listens (its own port, unless that was taken)."""
        return {
            arn: {"port": self.requested_ports.get(arn), "address": f"127.0.0.1:{listener.port}"}
            for arn, listener in self.world.balancer.listeners.items()
        }

    def groups_page(self) -> Mapping[str, Any]:
        """Requests each target group answered through a listener (health checks
        excluded): where traffic really went."""
        return {
            arn: {"requests": sum(group.metrics.totals().results)}
            for arn, group in list(self.world.balancer.groups.items())
        }


def _region(arn: str) -> str:
    return arn.split(":")[3]
