"""Settings come from the validated config; inputs survive a trip through JSON."""

from __future__ import annotations

import json

import pytest

from bluegreen.engine import inputs
from bluegreen.engine.deployment_settings import AutoRollback, DeploymentSettings
from bluegreen.engine.events import LifecycleEvent
from bluegreen.spec.config import BluegreenConfig, ReadyAction

CONFIG = BluegreenConfig.model_validate(
    {
        "service": {"name": "web", "container": "web", "container_port": 80, "desired_count": 3},
        "health_check": {"path": "/health", "interval": "1s", "timeout": "500ms"},
        "deployment": {
            "config": {"type": "linear", "percent": 25, "interval": "2s"},
            "ready_wait": "1m",
            "ready_timeout_action": "CONTINUE_DEPLOYMENT",
            "termination_wait": "30s",
            "install_timeout": "45s",
            "hook_timeout": "10s",
            "auto_rollback": ["DEPLOYMENT_STOP_ON_ALARM"],
        },
        "validation": {"consecutive_successes": 4, "interval": "50ms", "deadline": "5s"},
        "hooks": {
            "AfterInstall": "true",
            "AfterAllowTestTraffic": {"command": "pytest smoke", "timeout": "90s"},
        },
    }
)


def test_from_config_carries_every_timing_and_rule() -> None:
    s = DeploymentSettings.from_config(CONFIG, "web:7", "web:6")
    assert (s.revision, s.blue_revision, s.desired_count) == ("web:7", "web:6", 3)
    assert s.schedule == ((0.0, 25), (2.0, 50), (4.0, 75), (6.0, 100))
    assert (s.install_timeout, s.ready_wait, s.termination_wait) == (45.0, 60.0, 30.0)
    assert s.ready_timeout_action is ReadyAction.CONTINUE
    assert s.auto_rollback == {AutoRollback.DEPLOYMENT_STOP_ON_ALARM}
    assert (s.validation.path, s.validation.consecutive_successes) == ("/health", 4)
    assert (s.validation.interval, s.validation.deadline) == (0.05, 5.0)
    assert s.hooks == {
        LifecycleEvent.AFTER_INSTALL: 10.0,
        LifecycleEvent.AFTER_ALLOW_TEST_TRAFFIC: 90.0,
    }


def test_hooks_argument_names_the_events_that_have_one() -> None:
    s = DeploymentSettings.from_config(CONFIG, "web:7", None, hooks={"BeforeAllowTraffic"})
    assert s.hooks == {LifecycleEvent.BEFORE_ALLOW_TRAFFIC: 10.0}
    assert s.first and s.steps == ((0.0, 100),)


SAMPLES: list[inputs.Input] = [
    inputs.Started(1.0),
    inputs.TaskSetReady(2.0),
    inputs.TaskSetFailed(3.0, inputs.TaskSetRole.BLUE, "exit 137"),
    inputs.HookFinished(4.0, LifecycleEvent.AFTER_INSTALL, False, "boom"),
    inputs.Tick(5.5),
    inputs.ValidationResult(6.0, True, "200 in 3ms"),
    inputs.ContinueRequested(7.0),
    inputs.StopRequested(8.0, None),
    inputs.StopRequested(8.5, False),
    inputs.Alarm(9.0, "p99", "1.2s > 800ms"),
]


@pytest.mark.parametrize("item", SAMPLES, ids=lambda i: type(i).__name__)
def test_inputs_round_trip_through_json(item: inputs.Input) -> None:
    data = json.loads(json.dumps(inputs.to_dict(item)))
    assert inputs.from_dict(data) == item


def test_unknown_input_type_is_named() -> None:
    with pytest.raises(ValueError, match="'Reboot'"):
        inputs.from_dict({"type": "Reboot", "at": 1.0})
