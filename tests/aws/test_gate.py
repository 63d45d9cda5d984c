"""The gate on AWS: the shared driver against a real HTTP server on
127.0.0.1, a gate that never validates blue (issue 14 defect 1), and one
bluegreen.toml giving the same probes, environment and verdict locally and
on AWS."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import Callable, Generator
from pathlib import Path

import boto3
import pytest

from bluegreen.aws.codedeploy import CodeDeployPlatform
from bluegreen.aws.ecs_native import EcsPlatform
from bluegreen.aws.test_route import listener_of_rule, listener_url
from bluegreen.engine.events import EventKind, Status
from bluegreen.errors import UsageError
from bluegreen.gate import Coordinates, GatePlan, Outcome, Report, run_async, run_sync
from bluegreen.platform import DeployRequest
from bluegreen.spec.project import Project

from . import codedeploy_double as script
from . import ecs_double
from .codedeploy_double import CodeDeployDouble
from .conftest import (
    IMAGE,
    Listener,
    create_codedeploy_group,
    create_ecs_service,
    deploy_and_follow,
    write_project,
)
from .doubles import Script
from .ecs_double import EcsDouble
from .load_balancer import Alb

WHERE = Coordinates("d-1", "web:7", "http://prod.example:80", "http://test.example:8080")


def plan_for(tmp_path: Path, url: str | None, validation: str = "", name: str = "app") -> GatePlan:
    root = tmp_path / name
    root.mkdir()
    project = write_project(root, url, validation)
    plan = GatePlan.from_config(project.config, root, project.config.aws.test_listener_url)
    assert plan is not None
    return plan


def verdict(run: Generator[Report, None, bool]) -> tuple[bool, list[Report]]:
    reports = []
    while True:
        try:
            reports.append(next(run))
        except StopIteration as end:
            return bool(end.value), reports


def test_needs_consecutive_healthy_answers(listener: Listener, tmp_path: Path) -> None:
    passed, reports = verdict(run_sync(plan_for(tmp_path, listener.url), WHERE))
    assert passed
    assert listener.requests == 3
    assert reports[-1].result == "passed"


def test_unhealthy_until_deadline_fails(listener: Listener, tmp_path: Path) -> None:
    listener.status = 404
    passed, reports = verdict(run_sync(plan_for(tmp_path, listener.url), WHERE))
    assert not passed
    assert reports[-1].result == "failed" and "HTTP 404" in reports[-1].message
    assert listener.requests > 3


def test_nothing_listening_fails(tmp_path: Path) -> None:
    passed, reports = verdict(run_sync(plan_for(tmp_path, "http://127.0.0.1:9"), WHERE))
    assert not passed
    assert "no answer" in reports[0].message


def test_command_runs_once_after_the_streak_and_decides(listener: Listener, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    command = f"command = 'echo run >> {runs}; echo broken; exit 3'"
    passed, reports = verdict(run_sync(plan_for(tmp_path, listener.url, command), WHERE))
    assert not passed
    assert reports[-1].output is not None and reports[-1].output.strip() == "broken"
    assert reports[-1].message == "validation command exited 3"
    assert runs.read_text() == "run\n"  # once, not once per probe until the deadline
    assert listener.requests == 3


def test_no_listener_no_command_means_no_gate(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    root.mkdir()
    config = write_project(root, None).config
    assert GatePlan.from_config(config, root, None) is None


def test_command_timeout_ends_its_process_group(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    command = f"sleep 120 & echo $! > {pid_file}; wait"
    plan = plan_for(tmp_path, None, f"command = '{command}'")
    started = time.monotonic()
    passed, reports = verdict(run_sync(plan, WHERE))
    assert time.monotonic() - started < 60  # the 1 s deadline, not the child's 120 s
    assert not passed
    assert "timed out" in reports[-1].message
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/stat")
    return not (status.exists() and status.read_text().split()[2] == "Z")


# -- a gate that never validates blue ---------------------------------------------


def test_codedeploy_group_without_test_route_is_refused(
    project: Project, alb: Alb, codedeploy: CodeDeployDouble
) -> None:
    create_codedeploy_group(alb, test_route=False)
    with pytest.raises(UsageError) as refused:
        CodeDeployPlatform(project).deploy(DeployRequest(image=IMAGE))
    assert refused.value.exit_code == 2
    message = str(refused.value)
    assert "DgpECS-prod-web" in message and "testTrafficRoute" in message
    assert not codedeploy.called("CreateDeployment")
    families = boto3.client("ecs").list_task_definitions()["taskDefinitionArns"]
    assert families == []  # nothing registered either


def test_ecs_service_without_test_listener_rule_is_refused(
    project: Project, alb: Alb, ecs: EcsDouble
) -> None:
    create_ecs_service(alb, test_rule=False)
    before = boto3.client("ecs").list_task_definitions()["taskDefinitionArns"]
    with pytest.raises(UsageError) as refused:
        EcsPlatform(project).deploy(DeployRequest(image=IMAGE))
    assert refused.value.exit_code == 2
    assert "service web" in str(refused.value) and "testListenerRule" in str(refused.value)
    assert not ecs.called("UpdateService")
    assert boto3.client("ecs").list_task_definitions()["taskDefinitionArns"] == before


def every_frame(make: Callable[[], Script], **extra: object) -> Callable[[], Script]:
    """A scenario of a double with `extra` in each of its frames."""

    def made() -> Script:
        made = make()
        for frame in made.frames:
            frame.update(extra)
        return made

    return made


# Ready with AllowTestTraffic Skipped: CodeDeploy never moved test traffic.
skipped_test_traffic = every_frame(script.gated, skipped=("AllowTestTraffic",))
paused_without_test_traffic = every_frame(ecs_double.paused, test=0.0)


@pytest.mark.usefixtures("codedeploy_group")
def test_skipped_test_traffic_with_blue_on_the_test_listener_does_not_pass(
    project: Project, alb: Alb, listener: Listener, codedeploy: CodeDeployDouble
) -> None:
    alb.route_test_to(alb.blue)
    codedeploy.plan.append(skipped_test_traffic)
    deployment_id, events = deploy_and_follow(CodeDeployPlatform(project))
    assert not codedeploy.called("ContinueDeployment")
    assert codedeploy.called("StopDeployment") == [
        {"deploymentId": deployment_id, "autoRollbackEnabled": True}
    ]
    assert listener.requests == 0  # not one probe counted against blue
    refused = [e for e in events if "does not hold the test traffic" in e.message]
    assert refused and "web-blue" in refused[0].message and "web-green" in refused[0].message


@pytest.mark.usefixtures("codedeploy_group")
def test_skipped_test_traffic_with_green_on_the_test_listener_is_validated(
    project: Project, listener: Listener, codedeploy: CodeDeployDouble
) -> None:
    codedeploy.plan.append(skipped_test_traffic)
    _, events = deploy_and_follow(CodeDeployPlatform(project))
    assert listener.requests == 3
    assert codedeploy.called("ContinueDeployment")
    assert events[-1].status is Status.SUCCEEDED


@pytest.mark.usefixtures("ecs_service")
def test_ecs_pause_without_test_traffic_on_green_rolls_back_unprobed(
    project: Project, listener: Listener, ecs: EcsDouble
) -> None:
    ecs.plan.append(paused_without_test_traffic)
    arn, events = deploy_and_follow(EcsPlatform(project))
    assert ecs.called("ContinueServiceDeployment") == [
        {"serviceDeploymentArn": arn, "hookId": ecs_double.HOOK_ID, "action": "ROLLBACK"}
    ]
    assert listener.requests == 0
    assert any("0.0 % of test traffic" in e.message for e in events)


# -- one bluegreen.toml, the same gate locally and on AWS ---------------------------

SMOKE = """\
import json, os, pathlib, sys
here = pathlib.Path(__file__).parent
seen = {k: v for k, v in os.environ.items() if k.startswith("BLUEGREEN_")}
(here / "env.json").write_text(json.dumps(seen))
sys.exit(0 if (here / "green-ok").exists() else 3)
"""


def run_locally(plan: GatePlan, listener: Listener) -> tuple[bool, list[Outcome]]:
    """The local daemon's driver, as its controller calls it."""
    fed: list[Outcome] = []

    async def feed(outcome: Outcome) -> None:
        fed.append(outcome)

    where = Coordinates("local-1", "web:2", "http://127.0.0.1:8080", listener.url)
    return asyncio.run(run_async(plan, where, feed)), fed


@pytest.mark.usefixtures("codedeploy_group")
@pytest.mark.parametrize("smoke_passes", [True, False])
def test_same_probes_environment_and_verdict_locally_and_on_aws(
    tmp_path: Path, listener: Listener, alb: Alb, codedeploy: CodeDeployDouble, smoke_passes: bool
) -> None:
    root = tmp_path / "app"
    root.mkdir()
    dump = root / "env.json"
    (root / "smoke.py").write_text(SMOKE)
    if smoke_passes:
        (root / "green-ok").write_text("")
    project = write_project(root, listener.url, f"command = '{sys.executable} smoke.py'")
    config = project.config

    local_plan = GatePlan.from_config(config, root, listener.url)
    assert local_plan is not None
    local_passed, fed = run_locally(local_plan, listener)
    local_probes, local_env = listener.requests, json.loads(dump.read_text())

    listener.requests = 0
    dump.unlink()
    deployment_id, events = deploy_and_follow(CodeDeployPlatform(project))
    aws_passed = bool(codedeploy.called("ContinueDeployment"))
    aws_env = json.loads(dump.read_text())

    assert local_passed is aws_passed is smoke_passes
    assert listener.requests == local_probes == config.validation.consecutive_successes
    assert set(local_env) == set(aws_env)  # the five, and what this process passes on
    assert {
        "BLUEGREEN_DEPLOYMENT_ID",
        "BLUEGREEN_LIFECYCLE_EVENT",
        "BLUEGREEN_REVISION",
        "BLUEGREEN_PROD_URL",
        "BLUEGREEN_TEST_URL",
    } <= set(aws_env)
    same = ("BLUEGREEN_LIFECYCLE_EVENT", "BLUEGREEN_TEST_URL")
    assert {k: local_env[k] for k in same} == {k: aws_env[k] for k in same}
    assert aws_env["BLUEGREEN_DEPLOYMENT_ID"] == deployment_id
    assert aws_env["BLUEGREEN_REVISION"] == "web:1"  # the task definition registered
    assert aws_env["BLUEGREEN_PROD_URL"] == f"http://{alb.dns}:80"
    verdicts = [e.details.get("result") for e in events if e.kind is EventKind.VALIDATION]
    expected = "passed" if smoke_passes else "failed"
    assert verdicts[-1] == expected and fed[-1].final and fed[-1].ok is smoke_passes


def test_a_listener_rule_names_its_listener(alb: Alb) -> None:
    """ECS names the production listener by a rule: BLUEGREEN_PROD_URL comes from it."""
    assert listener_of_rule(alb.prod_rule) == alb.prod_listener
    assert listener_url(boto3.client("elbv2"), alb.prod_listener) == f"http://{alb.dns}:80"
