"""Operating a deployment in flight: stop, continue, rollback, a second deploy."""

from __future__ import annotations

from collections.abc import Callable

from .harness import LoadGenerator, Project


def in_flight(project: Project, **fields: object) -> dict[str, object]:
    return project.wait_for(lambda s: all(s.get(k) == v for k, v in fields.items()))


def test_stop_rolls_back_during_the_canary(start_platform: Callable[..., Project]) -> None:
    project = start_platform(canary="30s")
    project.cli("deploy")
    with LoadGenerator(project.prod_url) as load:
        project.cli("deploy", "--set", "APP_VERSION=v2", "--no-wait")
        in_flight(project, weights={"blue": 80, "green": 20})
        result = project.cli("stop")
        assert "Stopped" in result.stdout
    load.assert_no_failures()
    assert project.version() == "v1"
    assert project.status()["status"] == "Stopped"


def test_continue_leaves_the_ready_wait(start_platform: Callable[..., Project]) -> None:
    project = start_platform(ready_wait="60s", canary="200ms")
    project.deploy_first()
    with LoadGenerator(project.prod_url) as load:
        project.cli("deploy", "--set", "APP_VERSION=v2", "--no-wait")
        in_flight(project, status="Ready")
        assert project.version() == "v1"
        project.cli("continue")
        project.wait_for(lambda s: s["status"] == "Succeeded")
    load.assert_no_failures()
    assert project.version() == "v2"


def test_continue_while_nothing_waits_is_recorded_and_changes_nothing(
    start_platform: Callable[..., Project],
) -> None:
    project = start_platform(canary="30s")
    project.cli("deploy")
    project.cli("deploy", "--set", "APP_VERSION=v2", "--no-wait")
    in_flight(project, weights={"blue": 80, "green": 20})
    project.cli("continue")
    result = project.cli("stop")
    assert "ignored: ContinueRequested is illegal in AllowTraffic" in result.stdout
    assert project.status()["status"] == "Stopped"


def test_rollback_inside_the_termination_wait_flips_back(
    start_platform: Callable[..., Project],
) -> None:
    project = start_platform(termination_wait="60s", canary="200ms")
    project.cli("deploy")
    with LoadGenerator(project.prod_url) as load:
        project.cli("deploy", "--set", "APP_VERSION=v2", "--no-wait")
        in_flight(project, weights={"blue": 0, "green": 100}, status="InProgress")
        assert project.version() == "v2"
        project.cli("rollback")
    load.assert_no_failures()
    assert project.version() == "v1"
    summary = project.status()
    assert summary["status"] == "Stopped" and summary["revision"] == "web:2"


def test_rollback_after_the_termination_wait_redeploys_the_last_good_revision(
    start_platform: Callable[..., Project],
) -> None:
    project = start_platform(canary="200ms")
    project.cli("deploy")
    project.cli("deploy", "--set", "APP_VERSION=v2")
    with LoadGenerator(project.prod_url) as load:
        project.cli("rollback")
    load.assert_no_failures()
    assert project.version() == "v1"
    summary = project.status()
    assert summary["revision"] == "web:1" and summary["rollback_of"]


def test_a_second_deploy_in_flight_is_refused(start_platform: Callable[..., Project]) -> None:
    project = start_platform(ready_wait="60s")
    project.deploy_first()
    project.cli("deploy", "--set", "APP_VERSION=v2", "--no-wait")
    second = project.cli("deploy", "--set", "APP_VERSION=v3", check=False)
    assert second.returncode == 4
    assert "in flight" in second.stderr
    project.cli("stop")


def test_stop_without_rollback_keeps_the_split_until_the_next_deploy(
    start_platform: Callable[..., Project],
) -> None:
    project = start_platform(canary="30s")
    project.cli("deploy")
    with LoadGenerator(project.prod_url) as load:
        project.cli("deploy", "--set", "APP_VERSION=v2", "--no-wait")
        in_flight(project, weights={"blue": 80, "green": 20})
        project.cli("stop", "--no-rollback")
        assert {project.version() for _ in range(30)} == {"v1", "v2"}
        project.cli(
            "deploy", "--set", "APP_VERSION=v3", "--config", "CodeDeployDefault.ECSAllAtOnce"
        )
    load.assert_no_failures()
    assert {project.version() for _ in range(10)} == {"v3"}


def test_deploy_gives_up_waiting_at_its_timeout(start_platform: Callable[..., Project]) -> None:
    project = start_platform(ready_wait="60s")
    project.deploy_first()
    result = project.cli("deploy", "--set", "APP_VERSION=v2", "--timeout", "1s", check=False)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "gave up waiting" in result.stderr
    assert project.status()["status"] in ("InProgress", "Ready")  # it goes on
    bad = project.cli("deploy", "--timeout", "soon", check=False)
    assert bad.returncode == 2 and "duration" in bad.stderr
    project.cli("stop")
