"""ECS's deployment settings read without an emulator: the refusals ECS's model
documents, the traffic schedule of each strategy, and the hooks by stage."""

from __future__ import annotations

from typing import Any

from bluegreen.emulator import ecs_strategy as strategy
from bluegreen.vocabulary import LifecycleEvent

ADVANCED = [
    {
        "targetGroupArn": "tg-blue",
        "advancedConfiguration": {
            "alternateTargetGroupArn": "tg-green",
            "productionListenerRule": "rule-prod",
        },
    }
]


def problems(configuration: dict[str, Any], controller: str = "ECS") -> list[str]:
    return strategy.problems(configuration, controller, ADVANCED)


def test_a_good_blue_green_has_no_problem_and_rolling_is_left_alone() -> None:
    assert problems({"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 0}) == []
    assert strategy.problems({"strategy": "ROLLING"}, "ECS", []) == []
    assert strategy.problems({}, "CODE_DEPLOY", []) == []


def test_every_refusal_is_named() -> None:
    hooks = [
        {
            "targetType": "PAUSE",
            "hookTargetArn": "arn:x",
            "lifecycleStages": ["PRODUCTION_TRAFFIC_SHIFT"],
        },
        {"targetType": "AWS_LAMBDA", "lifecycleStages": ["RECONCILE_SERVICE"]},
    ]
    found = problems(
        {
            "strategy": "LINEAR",
            "earlySuccessCriteria": {"enable": True},
            "bakeTimeInMinutes": 1441,
            "linearConfiguration": {"stepPercent": 2.0},
            "lifecycleHooks": hooks,
        },
        controller="CODE_DEPLOY",
    )
    assert found == [
        "earlySuccessCriteria can only be used with ROLLING, not LINEAR",
        "strategy LINEAR needs deploymentController ECS, not CODE_DEPLOY",
        "bakeTimeInMinutes is 1441; valid values are 0 to 1440",
        "linearConfiguration.stepPercent is 2.0; valid values are 3.0 to 100.0",
        "a PAUSE hook takes no hookTargetArn",
        "PAUSE hooks cannot be configured at PRODUCTION_TRAFFIC_SHIFT",
        "an AWS_LAMBDA hook needs hookTargetArn (the function's ARN)",
        "the bluegreen emulator runs no lifecycle hook at RECONCILE_SERVICE",
    ]
    assert strategy.problems({"strategy": "CANARY"}, "ECS", [{"targetGroupArn": "tg"}]) == [
        "strategy CANARY needs loadBalancers[].advancedConfiguration with "
        "alternateTargetGroupArn and productionListenerRule"
    ]


def test_schedules_in_scaled_seconds_and_whole_percent() -> None:
    assert strategy.schedule({"strategy": "BLUE_GREEN"}, 0.5) == ((0.0, 100),)
    assert strategy.schedule({"strategy": "CANARY"}, 1.0) == ((0.0, 5), (600.0, 100))
    canary = {"strategy": "CANARY", "canaryConfiguration": {"canaryPercent": 0.4}}
    assert strategy.schedule(canary, 1.0)[0] == (0.0, 1)
    linear = {
        "strategy": "LINEAR",
        "linearConfiguration": {"stepPercent": 40.0, "stepBakeTimeInMinutes": 1},
    }
    assert strategy.schedule(linear, 0.1) == ((0.0, 40), (6.0, 80), (12.0, 100))
    assert strategy.schedule({"strategy": "LINEAR"}, 1.0)[-1] == (9 * 360.0, 100)


def test_hooks_one_per_stage_with_the_model_s_defaults() -> None:
    raw = {"targetType": "PAUSE", "lifecycleStages": ["PRE_SCALE_UP", "POST_TEST_TRAFFIC_SHIFT"]}
    found = strategy.hooks({"lifecycleHooks": [raw]})
    assert [h.event for h in found] == [
        LifecycleEvent.BEFORE_INSTALL,
        LifecycleEvent.AFTER_ALLOW_TEST_TRAFFIC,
    ]
    assert {(h.timeout_minutes, h.timeout_action) for h in found} == {(1440, "ROLLBACK")}
    route = strategy.routing(ADVANCED)
    assert (route.target_group, route.alternate_group, route.test_rule) == (
        "tg-blue",
        "tg-green",
        None,
    )
