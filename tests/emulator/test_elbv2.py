"""ELBv2 on the emulator: listeners are real ports, forward weights are applied
exactly, and DescribeTargetHealth reports our ALB health checks."""

from __future__ import annotations

from collections import Counter

import httpx

from .conftest import Emulator
from .resources import create_alb, target_states, wait_for, weighted


def test_weighted_forward_is_exact_and_health_is_alb_s(
    emulator: Emulator, backends: dict[str, int]
) -> None:
    alb = create_alb(emulator)
    elbv2 = emulator.client("elbv2")
    for name, group in (("blue", alb.blue_group), ("green", alb.green_group)):
        elbv2.register_targets(
            TargetGroupArn=group, Targets=[{"Id": "127.0.0.1", "Port": backends[name]}]
        )
    assert target_states(emulator, alb.green_group) == ["unused"]  # no listener sends to it
    split = weighted(alb.blue_group, 3, alb.green_group, 1)
    elbv2.modify_listener(ListenerArn=alb.prod_listener, DefaultActions=split)
    for group in (alb.blue_group, alb.green_group):
        wait_for(lambda g=group: target_states(emulator, g) == ["healthy"], "healthy targets")
    with httpx.Client(base_url=alb.prod_url, timeout=10) as client:
        seen = Counter(client.get("/").text for _ in range(40))
    assert seen == {"blue": 30, "green": 10}
    elbv2.deregister_targets(
        TargetGroupArn=alb.blue_group, Targets=[{"Id": "127.0.0.1", "Port": backends["blue"]}]
    )
    health = elbv2.describe_target_health(TargetGroupArn=alb.blue_group)
    reasons = [d["TargetHealth"].get("Reason") for d in health["TargetHealthDescriptions"]]
    assert reasons in ([], ["Target.DeregistrationInProgress"])


def test_listeners_page_says_where_each_listens(emulator: Emulator) -> None:
    alb = create_alb(emulator)
    page = httpx.get(f"{emulator.url}/_bluegreen/listeners", timeout=10).json()
    assert page[alb.prod_listener] == {
        "port": alb.prod_port,
        "address": f"127.0.0.1:{alb.prod_port}",
    }


def test_describe_target_health_gives_alb_s_reason_for_a_failing_check(
    emulator: Emulator, backends: dict[str, int]
) -> None:
    """A health path that answers 404: ALB's ResponseCodeMismatch, naming the code."""
    alb = create_alb(emulator, health_path="/status/404")
    elbv2 = emulator.client("elbv2")
    elbv2.register_targets(
        TargetGroupArn=alb.blue_group, Targets=[{"Id": "127.0.0.1", "Port": backends["blue"]}]
    )
    wait_for(lambda: target_states(emulator, alb.blue_group) == ["unhealthy"], "an unhealthy one")
    health = elbv2.describe_target_health(TargetGroupArn=alb.blue_group)
    [target] = [d["TargetHealth"] for d in health["TargetHealthDescriptions"]]
    assert target == {
        "State": "unhealthy",
        "Reason": "Target.ResponseCodeMismatch",
        "Description": "Health checks failed with these codes: [404]",
    }
