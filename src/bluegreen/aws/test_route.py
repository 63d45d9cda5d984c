"""Where test traffic goes, read from AWS itself rather than inferred.

The gate may only count a probe when green holds all of the test traffic;
otherwise it would validate blue and wave a broken green through. A
Skipped AllowTestTraffic means "this group has no test listener", not
"test traffic is on green", so both platforms ask: CodeDeploy, which target
group the test listener forwards to, compared with the green task set's
(from the deployment target); ECS, the test traffic weight the service
deployment gives its target revision. A gated deploy without a test route
is refused before anything is created (`missing_test_route`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import UsageError

FULL = 100.0


def group_route(group: Mapping[str, Any], kind: str) -> str | None:
    """The first listener ARN of a deployment group's `prodTrafficRoute` or `testTrafficRoute`."""
    pairs = (group.get("loadBalancerInfo") or {}).get("targetGroupPairInfoList") or []
    for pair in pairs:
        arns = (pair.get(kind) or {}).get("listenerArns") or []
        if arns:
            return str(arns[0])
    return None


def missing_test_route(where: str, what: str, add: str) -> UsageError:
    """Exit 2 before anything is created: the gate would have nothing to probe but blue."""
    return UsageError(
        f"{where} has no test traffic route ({what}), so the test listener would keep "
        f"serving blue and the gate would validate blue; add {add} (as `bluegreen aws "
        "template` does), or remove aws.test_listener_url and validation.command to deploy "
        "without a gate"
    )


def forwarded_groups(elbv2: Any, listener_arn: str) -> set[str]:
    """Names of the target groups a listener's default action sends traffic to."""
    listener = elbv2.describe_listeners(ListenerArns=[listener_arn])["Listeners"][0]
    arns: set[str] = set()
    for action in listener.get("DefaultActions") or []:
        if action.get("Type") != "forward":
            continue
        weighted = (action.get("ForwardConfig") or {}).get("TargetGroups") or []
        arns |= {g["TargetGroupArn"] for g in weighted if g.get("Weight", 1) > 0}
        if not weighted and action.get("TargetGroupArn"):
            arns.add(action["TargetGroupArn"])
    if not arns:
        return set()
    groups = elbv2.describe_target_groups(TargetGroupArns=sorted(arns))["TargetGroups"]
    return {str(g["TargetGroupName"]) for g in groups}


def codedeploy_test_holder(
    elbv2: Any, test_listener: str, target: Mapping[str, Any] | None
) -> str | None:
    """None when the test listener forwards only to the green task set's target
    group; else what it does forward to, for the reason."""
    sets = (target or {}).get("taskSetsInfo") or []
    green = {
        str((s.get("targetGroup") or {}).get("name"))
        for s in sets
        if s.get("taskSetLabel") == "Green"
    }
    serving = forwarded_groups(elbv2, test_listener)
    if green and serving == green:
        return None
    names = ", ".join(sorted(serving)) or "nothing"
    return f"test listener forwards to {names}; green's is {', '.join(green) or 'unknown'}"


def ecs_test_holder(deployment: Mapping[str, Any]) -> str | None:
    """None when the service deployment gives its target revision all test traffic."""
    weight = (deployment.get("targetServiceRevision") or {}).get("requestedTestTrafficWeight")
    if weight == FULL:
        return None
    return f"the target revision has {weight if weight is not None else 'no'} % of test traffic"


def listener_url(elbv2: Any, listener_arn: str) -> str:
    """`protocol://dns:port` of a listener, for BLUEGREEN_PROD_URL."""
    listener = elbv2.describe_listeners(ListenerArns=[listener_arn])["Listeners"][0]
    balancer = elbv2.describe_load_balancers(LoadBalancerArns=[listener["LoadBalancerArn"]])
    dns = balancer["LoadBalancers"][0]["DNSName"]
    return f"{str(listener['Protocol']).lower()}://{dns}:{listener['Port']}"


def listener_of_rule(rule_arn: str) -> str:
    """The listener ARN a listener-rule ARN belongs to (`.../listener-rule/app/n/lb/l/r`)."""
    head, _, _rule = rule_arn.rpartition("/")
    return head.replace(":listener-rule/", ":listener/", 1)
