"""`deploy --until STAGE` ends the command at a stage and leaves the
deployment running; `status --wait-for STAGE` picks it up later. First the
stage rules on event streams, then the real CLI on the local platform."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bluegreen.cli.stages import Stage, Until
from bluegreen.engine.events import EventKind
from bluegreen.vocabulary import LifecycleEvent, Status, StepStatus

from ..local.harness import Project, make_project
from . import streams

ATA = LifecycleEvent.AFTER_ALLOW_TRAFFIC
ALL_GREEN = {"blue": 0, "green": 100}


def lifecycle_to_the_end() -> list[streams.Event]:
    return [
        streams.step(streams.ATT, StepStatus.SUCCEEDED, "validated"),
        streams.event(EventKind.STATUS, "waiting for continue", status=Status.READY),
        streams.step(LifecycleEvent.BEFORE_ALLOW_TRAFFIC, StepStatus.SKIPPED, "no hook"),
        streams.step(LifecycleEvent.ALLOW_TRAFFIC, StepStatus.SUCCEEDED, "all on green"),
        streams.step(ATA, StepStatus.IN_PROGRESS, "hook running"),
        streams.step(ATA, StepStatus.SUCCEEDED, "hook ok"),
        streams.event(EventKind.MESSAGE, "termination wait 1h"),
        streams.event(EventKind.STATUS, "done", status=Status.SUCCEEDED),
    ]


@pytest.mark.parametrize(
    ("stage", "last"), [(Stage.READY, "waiting for continue"), (Stage.SHIFTED, "hook ok")]
)
def test_the_stream_stops_at_the_stage(stage: Stage, last: str) -> None:
    until = Until(stage)
    seen = list(until.through(lifecycle_to_the_end()))
    assert until.reached and seen[-1].message == last


def test_a_stage_passed_without_stopping_counts_as_reached() -> None:
    """No ready wait: no Ready status, yet BeforeAllowTraffic means green was ready."""
    events = [e for e in lifecycle_to_the_end() if e.status is not Status.READY]
    until = Until(Stage.READY)
    assert list(until.through(events))[-1].lifecycle_event is LifecycleEvent.BEFORE_ALLOW_TRAFFIC
    assert until.reached


def test_a_deployment_that_ends_first_has_not_reached_it() -> None:
    until = Until(Stage.SHIFTED)
    events = [
        *streams.local_validation_failure(),
        streams.event(EventKind.STATUS, "rolled back", status=Status.FAILED),
    ]
    assert len(list(until.through(events))) == len(events)
    assert not until.reached


# -- the CLI on the local platform -------------------------------------------


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    """A platform whose deployments wait a minute twice: in Ready and after the shift."""
    project = make_project(tmp_path / "p", canary="200ms", ready_wait="60s", termination_wait="60s")
    project.cli("up")
    try:
        yield project
    finally:
        project.cli("down", check=False)


def first_revision(project: Project) -> None:
    """Deployed and done: `continue` past the ready wait and the termination wait."""
    project.cli("deploy", "--no-wait")
    for _ in range(4):
        summary = project.wait_for(
            lambda s: s["status"] in ("Ready", "Succeeded") or s.get("weights") == ALL_GREEN
        )
        if summary["status"] == "Succeeded":
            return
        project.cli("continue", check=False)
    raise AssertionError(f"the first revision did not finish: {project.status()}")


def later(project: Project, *args: str) -> subprocess.Popen[str]:
    return project.start_cli(*args)


@pytest.mark.slow
def test_deploy_until_then_status_wait_for_on_the_local_platform(project: Project) -> None:
    first_revision(project)
    ready = project.cli("deploy", "--set", "APP_VERSION=v2", "--until", "ready")
    assert "Ready" in ready.stdout and project.status()["status"] == "Ready"
    assert project.version() == "v1", "production untouched at ready"
    deployment = project.status()["deployment_id"]

    shifted = later(project, "status", "--deployment", deployment, "--wait-for", "shifted")
    project.cli("continue")
    out, err = shifted.communicate(timeout=60)
    assert shifted.returncode == 0, out + err
    summary = project.status()
    assert summary["status"] == "InProgress" and summary["weights"] == ALL_GREEN
    assert project.version() == "v2"

    done = later(project, "status", "--deployment", deployment, "--wait-for", "succeeded")
    project.cli("continue")  # end the termination wait early
    out, err = done.communicate(timeout=60)
    assert done.returncode == 0, out + err
    assert project.status()["status"] == "Succeeded"
    again = project.cli("status", "--deployment", deployment, "--wait-for", "shifted")
    assert deployment in again.stdout, "an ended deployment has passed every stage"


@pytest.mark.slow
def test_a_deployment_that_fails_before_the_stage_exits_1(project: Project) -> None:
    first_revision(project)
    failed = project.cli("deploy", "--set", "APP_MODE=crash", "--until", "ready", check=False)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert project.status()["status"] in ("Failed", "Stopped")
    later_look = project.cli("status", "--wait-for", "ready", check=False)
    assert later_look.returncode == 1
    bad = project.cli("status", "--timeout", "5s", check=False)
    assert bad.returncode == 2 and "--timeout" in bad.stderr
