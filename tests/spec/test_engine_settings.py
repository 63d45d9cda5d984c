"""bluegreen.toml becomes the engine's settings, every timing and rule carried over."""

from __future__ import annotations

from bluegreen.spec.config import BluegreenConfig
from bluegreen.spec.engine_settings import deployment_settings
from bluegreen.vocabulary import AutoRollback, LifecycleEvent, ReadyAction

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
    s = deployment_settings(CONFIG, "web:7", "web:6")
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
    s = deployment_settings(CONFIG, "web:7", None, hooks={"BeforeAllowTraffic"})
    assert s.hooks == {LifecycleEvent.BEFORE_ALLOW_TRAFFIC: 10.0}
    assert s.first and s.steps == ((0.0, 100),)
