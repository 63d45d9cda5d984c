"""AllowTraffic walks CodeDeploy's predefined ECS configs step for step, on time."""

from __future__ import annotations

import pytest

from bluegreen.engine.actions import ListenerRole, SetWeights
from bluegreen.engine.deployment_settings import DeploymentSettings
from bluegreen.engine.inputs import Tick
from bluegreen.engine.transitions import Phase
from bluegreen.spec.config import BluegreenConfig
from bluegreen.spec.engine_settings import deployment_settings
from bluegreen.vocabulary import LifecycleEvent

from .lifecycle import Driver

MINUTE = 60.0
BEFORE_ALLOW_TRAFFIC = LifecycleEvent.BEFORE_ALLOW_TRAFFIC

# (seconds after AllowTraffic starts, green %), from CodeDeploy's documentation of each config.
EXPECTED = {
    "CodeDeployDefault.ECSAllAtOnce": [(0.0, 100)],
    "CodeDeployDefault.ECSLinear10PercentEvery1Minutes": [
        (k * MINUTE, 10 * (k + 1)) for k in range(10)
    ],
    "CodeDeployDefault.ECSLinear10PercentEvery3Minutes": [
        (k * 3 * MINUTE, 10 * (k + 1)) for k in range(10)
    ],
    "CodeDeployDefault.ECSCanary10Percent5Minutes": [(0.0, 10), (5 * MINUTE, 100)],
    "CodeDeployDefault.ECSCanary10Percent15Minutes": [(0.0, 10), (15 * MINUTE, 100)],
}


def _settings(config_name: str) -> DeploymentSettings:
    config = BluegreenConfig.model_validate(
        {
            "service": {"name": "web", "container": "web", "container_port": 80},
            "deployment": {"config": config_name, "termination_wait": "1h"},
        }
    )
    return deployment_settings(config, "web:2", "web:1", hooks=[BEFORE_ALLOW_TRAFFIC])


def _shift_start(driver: Driver) -> float:
    """Complete BeforeAllowTraffic; AllowTraffic starts at the returned time."""
    driver.reach(Phase.BEFORE_ALLOW_TRAFFIC).complete()
    return driver.now


@pytest.mark.parametrize("name", list(EXPECTED))
def test_predefined_config_shifts_on_schedule(name: str) -> None:
    driver = Driver(_settings(name))
    start = _shift_start(driver)
    d = driver.deployment
    seen = [(0.0, w.green) for w in driver.production_weights()]
    while d.phase is Phase.ALLOW_TRAFFIC:
        due = d.deadline
        assert due is not None
        assert d.handle(Tick(due - 0.001)) == [], "a step ran early"
        actions = d.handle(Tick(due))
        seen += [
            (due - start, a.weights.green)
            for a in actions
            if isinstance(a, SetWeights) and a.listener is ListenerRole.PRODUCTION
        ]
    assert seen == EXPECTED[name]
    assert d.phase is Phase.TERMINATION_WAIT


def test_a_late_tick_applies_every_step_that_came_due_in_order() -> None:
    driver = Driver(_settings("CodeDeployDefault.ECSLinear10PercentEvery1Minutes"))
    start = _shift_start(driver)
    driver.feed(lambda _: Tick(start + 3.5 * MINUTE))
    assert [w.green for w in driver.production_weights()] == [10, 20, 30, 40]
    assert driver.deployment.deadline == start + 4 * MINUTE
