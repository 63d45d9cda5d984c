"""Listener rules on the emulator: CreateRule / ModifyRule / SetRulePriorities /
DeleteRule with path-pattern and host-header conditions are routed on the
listener's real port by priority, the default action taking the rest."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx

from .conftest import Emulator
from .resources import Alb, create_alb, target_states, wait_for, weighted


def register_both(emulator: Emulator, alb: Alb, backends: dict[str, int]) -> None:
    elbv2 = emulator.client("elbv2")
    for name, group in (("blue", alb.blue_group), ("green", alb.green_group)):
        elbv2.register_targets(
            TargetGroupArn=group, Targets=[{"Id": "127.0.0.1", "Port": backends[name]}]
        )


def path_rule(emulator: Emulator, alb: Alb, priority: int, path: str, actions: Any) -> str:
    condition = {"Field": "path-pattern", "PathPatternConfig": {"Values": [path]}}
    answer = emulator.client("elbv2").create_rule(
        ListenerArn=alb.prod_listener, Priority=priority, Conditions=[condition], Actions=actions
    )
    return str(answer["Rules"][0]["RuleArn"])


def answers(alb: Alb, path: str, count: int = 1, **headers: str) -> Counter[str]:
    with httpx.Client(base_url=alb.prod_url, timeout=10) as client:
        return Counter(client.get(path, headers=headers).text for _ in range(count))


def test_rules_route_by_priority_path_and_host(
    emulator: Emulator, backends: dict[str, int]
) -> None:
    alb = create_alb(emulator)
    register_both(emulator, alb, backends)
    elbv2 = emulator.client("elbv2")
    green = [{"Type": "forward", "TargetGroupArn": alb.green_group}]
    api = path_rule(emulator, alb, 10, "/api/*", green)
    host = {"Field": "host-header", "HostHeaderConfig": {"Values": ["admin.*"]}}
    elbv2.create_rule(
        ListenerArn=alb.prod_listener, Priority=5, Conditions=[host],
        Actions=[{"Type": "forward", "TargetGroupArn": alb.blue_group}],
    )  # fmt: skip
    wait_for(lambda: target_states(emulator, alb.green_group) == ["healthy"], "green healthy")
    assert answers(alb, "/api/x") == {"green": 1}
    assert answers(alb, "/other") == {"blue": 1}  # no rule matches: the default action
    assert answers(alb, "/api/x", Host="Admin.example.com") == {"blue": 1}  # priority 5 first
    elbv2.set_rule_priorities(RulePriorities=[{"RuleArn": api, "Priority": 1}])
    assert answers(alb, "/api/x", Host="admin.example.com") == {"green": 1}
    elbv2.modify_rule(RuleArn=api, Actions=weighted(alb.blue_group, 1, alb.green_group, 3))
    assert answers(alb, "/api/y", count=40) == {"blue": 10, "green": 30}
    elbv2.delete_rule(RuleArn=api)
    assert answers(alb, "/api/x") == {"blue": 1}


def test_a_catch_all_path_rule_takes_every_request(
    emulator: Emulator, backends: dict[str, int]
) -> None:
    """`/*` is how a rule says "every request" (ECS's production and test rules
    often do): the default action then serves nothing."""
    alb = create_alb(emulator)
    register_both(emulator, alb, backends)
    green = [{"Type": "forward", "TargetGroupArn": alb.green_group}]
    path_rule(emulator, alb, 1, "/*", green)
    wait_for(lambda: target_states(emulator, alb.green_group) == ["healthy"], "green healthy")
    assert answers(alb, "/anything?at=all", count=5) == {"green": 5}
