"""Whole deployments through the real CLI, daemon, tasks and load balancer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from .harness import LoadGenerator, Project, events


def test_canary_deploy_moves_traffic_to_green(start_platform: Callable[..., Project]) -> None:
    project = start_platform(canary="1s")
    project.cli("deploy")
    assert project.version() == "v1"
    with LoadGenerator(project.prod_url) as load:
        result = project.cli("deploy", "--set", "APP_VERSION=v2", "--output", "json")
    load.assert_no_failures()
    assert project.version() == "v2"
    assert load.versions["v1"] and load.versions["v2"], load.versions
    splits = [e["weights"] for e in events(result.stdout) if e.get("kind") == "traffic"]
    assert {"blue": 80, "green": 20} in splits
    history = project.cli("history", "--output", "json").stdout
    assert history.count('"Succeeded"') == 2


def test_green_that_does_not_start_is_rolled_back(start_platform: Callable[..., Project]) -> None:
    project = start_platform()
    project.cli("deploy")
    with LoadGenerator(project.prod_url) as load:
        result = project.cli(
            "deploy", "--set", "APP_MODE=crash", "--set", "APP_VERSION=v2", check=False
        )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "green task set failed" in result.stdout
    load.assert_no_failures()
    assert set(load.versions) == {"v1"}
    assert project.status()["status"] == "Failed"


def test_green_turning_unhealthy_mid_canary_is_rolled_back(
    start_platform: Callable[..., Project], tmp_path: Path
) -> None:
    project = start_platform(canary="20s")
    project.cli("deploy")
    sick = tmp_path / "sick"
    with LoadGenerator(project.prod_url) as load:
        deploy = project.start_cli(
            "deploy",
            "--set",
            f"APP_UNHEALTHY_FILE={sick}",
            "--set",
            "APP_VERSION=v2",
            "--output",
            "json",
        )
        assert deploy.stdout is not None
        for line in deploy.stdout:
            if '"green": 20' in line and '"traffic"' in line:
                sick.touch()
                break
        out, err = deploy.communicate(timeout=60)
    assert deploy.returncode == 1, out + err
    assert "turned unhealthy" in out
    load.assert_no_failures()
    assert project.version() == "v1"


def test_failing_hook_rolls_back(start_platform: Callable[..., Project]) -> None:
    smoke = 'test "$BLUEGREEN_REVISION" = web:1 || { echo smoke failed; exit 3; }'
    project = start_platform(extra=f"[hooks]\nAfterAllowTestTraffic = '{smoke}'\n")
    project.cli("deploy")
    with LoadGenerator(project.prod_url) as load:
        result = project.cli("deploy", "--set", "APP_VERSION=v2", check=False)
    assert result.returncode == 1
    assert "AfterAllowTestTraffic hook failed" in result.stdout
    load.assert_no_failures()
    assert project.version() == "v1"


def test_error_rate_alarm_rolls_back(start_platform: Callable[..., Project]) -> None:
    project = start_platform(canary="20s")
    project.cli("deploy")
    with LoadGenerator(project.prod_url) as load:
        result = project.cli("deploy", "--set", "APP_MODE=errors", check=False)
    assert result.returncode == 1
    assert "alarm error_rate fired" in result.stdout
    assert load.results["app_5xx"] > 0
    load.assert_no_failures()
    assert project.version() == "v1"


def test_validation_command_gates_production_traffic(
    start_platform: Callable[..., Project], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = start_platform()
    project.cli("deploy")
    check = 'test "$(curl -s $BLUEGREEN_TEST_URL/ 2>/dev/null || echo none)" = v1'
    monkeypatch.setenv("BLUEGREEN_VALIDATION_COMMAND", check)
    monkeypatch.setenv("BLUEGREEN_VALIDATION_DEADLINE", "2s")
    with LoadGenerator(project.prod_url) as load:
        result = project.cli("deploy", "--set", "APP_VERSION=v2", check=False)
    assert result.returncode == 1
    assert "validation command exited" in result.stdout
    assert "validation did not pass" in result.stdout
    load.assert_no_failures()
    assert set(load.versions) == {"v1"}
