"""The aws-codedeploy platform, called as the CLI calls it, against the
emulator instead of scripted GetDeployment frames: every status, weight and
diagnostic below is what the emulated CodeDeploy made of real tasks and real
listeners, so these tests show what a deployment does, not how we react to
answers we wrote (tests/aws keeps only throttling and credentials, which
the emulator can't produce)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bluegreen.aws.codedeploy import CodeDeployPlatform
from bluegreen.engine.events import ALL_BLUE, Event, EventKind
from bluegreen.errors import PlatformError, UsageError
from bluegreen.images.pushed import record_pushed
from bluegreen.platform import DeployRequest
from bluegreen.vocabulary import LifecycleEvent, Status, StepStatus

from ..notify.receiver import receiving
from . import codedeploy_setup as cd
from .conftest import BLUEGREEN, start_emulator
from .project import write_project
from .rehearsal import Rehearsal as Emulated
from .rehearsal import aim_at
from .resources import create_alb, wait_for

pytestmark = pytest.mark.slow

HOOK = "CodeDeployHook_web_check"


class Rehearsal(Emulated):
    """One emulated account: the ALB, blue's ECS service and the deployment
    group made with boto3, and the project that deploys to them."""

    def platform(self, **env: str) -> CodeDeployPlatform:
        return CodeDeployPlatform(self.project(**env))


@pytest.fixture
def rehearsal(
    tmp_path: Path, project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Rehearsal]:
    """A failing hook's Lambda is a local command that reports Failed."""
    report = (
        f"{sys.executable} -c \"import os, boto3; boto3.client('codedeploy')"
        ".put_lifecycle_event_hook_execution_status(deploymentId=os.environ['DeploymentId'],"
        " lifecycleEventHookExecutionId=os.environ['LifecycleEventHookExecutionId'],"
        " status='Failed')\""
    )
    emulator = start_emulator(tmp_path, project_dir, "--lambda", f"{HOOK}={report}")
    aim_at(emulator, monkeypatch)
    alb = create_alb(emulator)
    cd.create_blue_service(emulator, alb)
    cd.create_group(emulator, alb)
    write_project(project_dir, alb.test_url)
    yield Rehearsal(emulator, alb, project_dir)
    assert emulator.stop() == 0


def request(version: str = "v2", **more: object) -> DeployRequest:
    """`deploy --image web:VERSION --set VERSION=VERSION`: tasks answer VERSION."""
    fields = {"image": f"web:{version}", "set_values": {"VERSION": version}, **more}
    return DeployRequest(**fields)  # type: ignore[arg-type]


def follow(
    platform: CodeDeployPlatform, version: str = "v2", **more: object
) -> tuple[str, list[Event]]:
    """Deploy `version` and follow it to its end, as `bluegreen deploy` does."""
    deployment_id = platform.deploy(request(version, **more))
    return deployment_id, list(platform.events(deployment_id, follow=True))


def test_gate_passes_then_continue_shifts_production_to_green(rehearsal: Rehearsal) -> None:
    assert rehearsal.serves() == "v1"
    deployment_id, events = follow(rehearsal.platform())
    assert events[-1].status is Status.SUCCEEDED
    validation = [e for e in events if e.kind is EventKind.VALIDATION]
    assert validation[-1].details["result"] == "passed"
    weights = [e.weights.green for e in events if e.kind is EventKind.TRAFFIC and e.weights]
    assert weights[0] == 0 and weights[-1] == 100
    ended = {e.lifecycle_event: e.step_status for e in events if e.step_status}
    assert list(ended) == list(LifecycleEvent)  # every step, in order
    ran = {event for event, status in ended.items() if status is StepStatus.SUCCEEDED}
    assert ran == {
        LifecycleEvent.INSTALL,
        LifecycleEvent.ALLOW_TEST_TRAFFIC,
        LifecycleEvent.ALLOW_TRAFFIC,
    }
    assert set(ended.values()) == {StepStatus.SUCCEEDED, StepStatus.SKIPPED}  # no hooks: Skipped
    assert rehearsal.serves() == "v2"
    info = rehearsal.emulator.client("codedeploy").get_deployment(deploymentId=deployment_id)
    assert info["deploymentInfo"]["status"] == "Succeeded"


def test_the_revision_carries_the_sha256_of_its_exact_content(
    rehearsal: Rehearsal, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI_COMMIT_SHA", "0123abcd")
    monkeypatch.setenv("CI_PIPELINE_URL", "https://gitlab.example/p/-/pipelines/7")
    deployment_id, _ = follow(rehearsal.platform(), description="release v2")
    codedeploy = rehearsal.emulator.client("codedeploy")
    info = codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
    spec = info["revision"]["appSpecContent"]
    assert spec["sha256"] == hashlib.sha256(spec["content"].encode()).hexdigest()
    properties = json.loads(spec["content"])["Resources"][0]["TargetService"]["Properties"]
    registered = rehearsal.emulator.client("ecs").describe_task_definition(
        taskDefinition=properties["TaskDefinition"]
    )["taskDefinition"]
    assert registered["containerDefinitions"][0]["image"] == "web:v2"
    assert info["description"] == (
        "release v2; commit 0123abcd; pipeline https://gitlab.example/p/-/pipelines/7"
    )


def test_a_failing_gate_stops_with_rollback_and_production_stays_blue(
    rehearsal: Rehearsal,
) -> None:
    platform = rehearsal.platform(BLUEGREEN_VALIDATION_COMMAND="exit 3")
    deployment_id, events = follow(platform)
    assert events[-1].status is Status.STOPPED
    rollback = [e for e in events if e.kind is EventKind.ROLLBACK]
    assert "production is back on blue" in rollback[-1].message
    assert [e.weights for e in rollback if e.weights][-1] == ALL_BLUE
    assert rehearsal.serves() == "v1"
    info = rehearsal.emulator.client("codedeploy").get_deployment(deploymentId=deployment_id)
    assert info["deploymentInfo"]["errorInformation"]["code"] == "MANUAL_STOP"


def test_green_that_cannot_start_fails_install_with_the_task_s_cause(
    rehearsal: Rehearsal,
) -> None:
    rehearsal.crashing_green()
    _, events = follow(rehearsal.platform())
    assert events[-1].status is Status.FAILED
    failed = [e for e in events if e.step_status is StepStatus.FAILED]
    assert failed[0].lifecycle_event is LifecycleEvent.INSTALL
    final = [e for e in events if e.kind is EventKind.STATUS][-1]
    assert "ECS_UPDATE_ERROR" in final.message
    assert rehearsal.serves() == "v1"


def test_a_hook_that_reports_failed_fails_the_deployment_and_rolls_back(
    rehearsal: Rehearsal,
) -> None:
    appspec = rehearsal.root / "appspec.yaml"
    appspec.write_text(appspec.read_text() + f"Hooks:\n  - AfterInstall: {HOOK}\n")
    _, events = follow(rehearsal.platform())
    failed = [e for e in events if e.step_status is StepStatus.FAILED]
    assert failed[0].lifecycle_event is LifecycleEvent.AFTER_INSTALL
    final = [e for e in events if e.kind is EventKind.STATUS][-1]
    assert final.status is Status.FAILED and "HOOK_EXECUTION_FAILURE" in final.message
    assert rehearsal.serves() == "v1"


def test_a_second_deployment_names_the_active_one_or_waits_for_its_slot(
    rehearsal: Rehearsal,
) -> None:
    platform = rehearsal.platform()
    first = platform.deploy(request())
    with pytest.raises(PlatformError, match=first) as caught:
        platform.deploy(request())
    assert caught.value.exit_code == 4 and "--wait-for-slot" in str(caught.value)
    follower = threading.Thread(target=lambda: list(platform.events(first, follow=True)))
    follower.start()
    second = platform.deploy(request("v3", wait_for_slot=True))
    assert second != first
    assert platform.status(first).status is Status.SUCCEEDED
    follower.join(timeout=120)
    assert list(platform.events(second, follow=True))[-1].status is Status.SUCCEEDED


def test_status_stop_and_history_read_what_codedeploy_did(rehearsal: Rehearsal) -> None:
    platform = rehearsal.platform()
    deployment_id = platform.deploy(request())
    wait_for(lambda: platform.status().status is Status.READY, "Ready")
    platform.stop(rollback=True)
    list(platform.events(deployment_id, follow=True))
    history = platform.history()
    assert [h.deployment_id for h in history][-1] == deployment_id
    assert history[-1].status is Status.STOPPED
    assert history[0].rollback_of == deployment_id
    assert history[-1].revision.startswith("web:")
    assert rehearsal.serves() == "v1"


def test_rollback_redeploys_the_previous_good_revision(rehearsal: Rehearsal) -> None:
    first, _ = follow(rehearsal.platform())
    follow(rehearsal.platform(), "v3")
    assert rehearsal.serves() == "v3"
    platform = rehearsal.platform()
    again = platform.rollback()
    assert list(platform.events(again, follow=True))[-1].status is Status.SUCCEEDED
    revisions = [platform.status(d).revision for d in (first, again)]
    assert revisions[0] == revisions[1]
    assert rehearsal.serves() == "v2"
    named = platform.rollback(revisions[0])
    assert platform.status(named).revision == revisions[0]
    list(platform.events(named, follow=True))


def test_a_second_follower_leaves_ready_alone(rehearsal: Rehearsal) -> None:
    platform = rehearsal.platform()
    deployment_id = platform.deploy(request())
    ready = wait_for(
        lambda: (s := platform.snapshot(deployment_id)).status is Status.READY and s, "Ready"
    )
    platform.continue_deployment(deployment_id)
    platform.resume(ready)  # too late, someone else continued: not an error
    assert list(platform.events(deployment_id, follow=True))[-1].status is Status.SUCCEEDED


def test_a_group_that_does_not_wait_is_refused_before_anything_changes(
    rehearsal: Rehearsal,
) -> None:
    codedeploy = rehearsal.emulator.client("codedeploy")
    codedeploy.create_deployment_group(
        applicationName=cd.APPLICATION,
        deploymentGroupName="reroutes-at-once",
        serviceRoleArn="arn:aws:iam::123456789012:role/codedeploy",
        blueGreenDeploymentConfiguration={
            "deploymentReadyOption": {"actionOnTimeout": "CONTINUE_DEPLOYMENT"}
        },
    )
    config = rehearsal.root / "bluegreen.toml"
    config.write_text(config.read_text().replace(cd.GROUP, "reroutes-at-once"))
    ecs = rehearsal.emulator.client("ecs")
    before = ecs.list_task_definitions()["taskDefinitionArns"]
    with pytest.raises(UsageError, match="STOP_DEPLOYMENT") as caught:
        rehearsal.platform().deploy(request())
    assert caught.value.exit_code == 2
    assert ecs.list_task_definitions()["taskDefinitionArns"] == before
    assert not codedeploy.list_deployments(applicationName=cd.APPLICATION)["deployments"]


def test_without_image_deploys_what_bluegreen_push_pushed_last(rehearsal: Rehearsal) -> None:
    record_pushed(rehearsal.root, "web:pushed")
    deployment_id, _ = follow(rehearsal.platform(), image=None)
    codedeploy = rehearsal.emulator.client("codedeploy")
    info = codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
    content = json.loads(info["revision"]["appSpecContent"]["content"])
    arn = content["Resources"][0]["TargetService"]["Properties"]["TaskDefinition"]
    registered = rehearsal.emulator.client("ecs").describe_task_definition(taskDefinition=arn)
    assert registered["taskDefinition"]["containerDefinitions"][0]["image"] == "web:pushed"


def cli(rehearsal: Rehearsal, command: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`bluegreen COMMAND DIR --platform aws-codedeploy ARGS` in the rehearsal's shell."""
    where = [str(rehearsal.root), "--platform", "aws-codedeploy"]
    return subprocess.run(
        [BLUEGREEN, command, *where, *args], capture_output=True, text=True, timeout=240
    )


def test_cli_deploy_prints_json_events_and_exits_0(rehearsal: Rehearsal) -> None:
    done = cli(rehearsal, "deploy", "--image", "web:v2", "--set", "VERSION=v2", "--output", "json")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert {"status", "lifecycle", "traffic", "validation"} <= {line.get("kind") for line in lines}
    assert lines[-1]["verdict"]["status"] == "Succeeded"


def test_cli_no_wait_then_continue_stop_and_history(rehearsal: Rehearsal) -> None:
    done = cli(
        rehearsal,
        "deploy",
        "--image",
        "web:v2",
        "--set",
        "VERSION=v2",
        "--no-wait",
        "--output",
        "json",
    )
    assert done.returncode == 0, done.stderr
    deployment_id = json.loads(done.stdout)["verdict"]["deployment_id"]
    platform = rehearsal.platform()
    wait_for(lambda: platform.status().status is Status.READY, "Ready")
    assert cli(rehearsal, "stop", "--output", "json").returncode == 0
    wait_for(lambda: platform.status(deployment_id).status is Status.STOPPED, "Stopped")
    history = cli(rehearsal, "history", "--output", "json")
    rows = [json.loads(line) for line in history.stdout.splitlines()]
    assert rows[-1]["deployment_id"] == deployment_id and rows[-1]["status"] == "Stopped"
    assert rows[0]["rollback_of"] == deployment_id
    wait_for(lambda: platform.status(rows[0]["deployment_id"]).status.terminal, "rollback")
    assert rehearsal.serves() == "v1"


def test_cli_continue_moves_a_ready_deployment_on(rehearsal: Rehearsal) -> None:
    done = cli(rehearsal, "deploy", "--image", "web:v2", "--set", "VERSION=v2", "--no-wait")
    assert done.returncode == 0, done.stderr
    platform = rehearsal.platform()
    wait_for(lambda: platform.status().status is Status.READY, "Ready")
    assert cli(rehearsal, "continue").returncode == 0
    wait_for(lambda: platform.status().status is Status.SUCCEEDED, "Succeeded")
    assert rehearsal.serves() == "v2"


def test_the_follower_notifies_through_a_failing_receiver(
    rehearsal: Rehearsal, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = rehearsal.root / "bluegreen.toml"
    hook = '\n[[notifications.webhooks]]\nurl_env = "BLUEGREEN_TEST_WEBHOOK"\n'
    config.write_text(config.read_text() + hook)
    with receiving(failures=2) as receiver:
        monkeypatch.setenv("BLUEGREEN_TEST_WEBHOOK", receiver.url)
        deployment_id, events = follow(rehearsal.platform())
        assert events[-1].status is Status.SUCCEEDED
        notices = [body["notice"] for body in receiver.accepted]
    assert notices == ["started", "ready", "shifted", "succeeded"]
    assert {body["deployment_id"] for body in receiver.accepted} == {deployment_id}
