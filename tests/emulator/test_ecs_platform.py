"""The aws-ecs platform, called as the CLI calls it, against the emulator's
ECS-native deployments instead of scripted DescribeServiceDeployments frames:
every stage, hook status and rollback below is what the emulated ECS made of
real tasks and real listener rules, so these tests show what a deployment
does (tests/aws keeps what needs injected API errors: throttling,
credentials, what UpdateService is sent)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bluegreen.aws.ecs_native import EcsPlatform
from bluegreen.engine.events import Event, EventKind
from bluegreen.errors import PlatformError, SpecError
from bluegreen.platform import DeployRequest
from bluegreen.spec.deployment_config import resolve_config
from bluegreen.spec.project import Project
from bluegreen.vocabulary import Status

from ..aws.conftest import with_config
from .cli import bluegreen
from .conftest import start_emulator
from .ecs_setup import create_native_service, service_deployments
from .project import write_project
from .rehearsal import Rehearsal as Emulated
from .rehearsal import aim_at
from .resources import create_alb, wait_for

pytestmark = pytest.mark.slow

REFUSING = "web-check"
LAMBDA_HOOK = {
    "targetType": "AWS_LAMBDA",
    "hookTargetArn": f"arn:aws:lambda:us-east-1:123456789012:function:{REFUSING}",
    "roleArn": "arn:aws:iam::123456789012:role/ecs-hooks",
    "lifecycleStages": ["POST_SCALE_UP"],
}


class Rehearsal(Emulated):
    """One emulated account: the ALB, its listener rules and blue's ECS-native
    service made with boto3, and the project that deploys to them."""

    def platform(self, **env: str) -> EcsPlatform:
        return EcsPlatform(self.project(**env))

    def deployments(self) -> list[dict[str, Any]]:
        return service_deployments(self.emulator)


@pytest.fixture
def user_hooks() -> list[dict[str, Any]]:
    """The service's own lifecycle hooks (a test parametrizes it)."""
    return []


@pytest.fixture
def install_timeout() -> str:
    return "60s"


@pytest.fixture
def rehearsal(
    tmp_path: Path,
    project_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    user_hooks: list[dict[str, Any]],
    install_timeout: str,
) -> Iterator[Rehearsal]:
    """The failing Lambda hook's function is a local command exiting 3."""
    emulator = start_emulator(tmp_path, project_dir, "--lambda", f"{REFUSING}=exit 3")
    aim_at(emulator, monkeypatch)
    alb = create_alb(emulator)
    create_native_service(emulator, alb, lifecycleHooks=user_hooks)
    write_project(project_dir, alb.test_url, install_timeout=install_timeout)
    # The PAUSE hook's timeout (ready_wait) must outlast the gate on a busy machine.
    toml = project_dir / "bluegreen.toml"
    wait = 'termination_wait = "1s"\nready_wait = "60m"'
    toml.write_text(toml.read_text().replace('termination_wait = "1s"', wait))
    yield Rehearsal(emulator, alb, project_dir)
    assert emulator.stop() == 0


def request(version: str = "v2", config_name: str | None = None) -> DeployRequest:
    """`deploy --image web:VERSION --set VERSION=VERSION`: tasks answer VERSION."""
    return DeployRequest(
        image=f"web:{version}", set_values={"VERSION": version}, config_name=config_name
    )


def follow(platform: EcsPlatform, version: str = "v2") -> tuple[str, list[Event]]:
    """Deploy `version` and follow it to its end, as `bluegreen deploy` does."""
    arn = platform.deploy(request(version))
    return arn, list(platform.events(arn, follow=True))


def rollbacks(events: list[Event]) -> list[Event]:
    return [e for e in events if e.kind is EventKind.ROLLBACK]


def test_pause_gate_passes_then_continue_shifts_production_to_green(
    rehearsal: Rehearsal,
) -> None:
    assert rehearsal.serves() == "v1"
    arn, events = follow(rehearsal.platform())
    assert events[-1].status is Status.SUCCEEDED
    assert any(e.status is Status.READY for e in events if e.kind is EventKind.STATUS)
    validation = [e for e in events if e.kind is EventKind.VALIDATION]
    assert validation[-1].details["result"] == "passed"
    assert rehearsal.serves() == "v2"
    [done] = rehearsal.deployments()
    assert done["serviceDeploymentArn"] == arn
    assert done["status"] == "SUCCESSFUL"
    [pause] = done["lifecycleHookDetails"]
    assert (pause["targetType"], pause["status"]) == ("PAUSE", "SUCCEEDED")
    service = rehearsal.emulator.client("ecs").describe_services(cluster="prod", services=["web"])
    assert service["services"][0]["deploymentConfiguration"].get("lifecycleHooks", []) == []


def test_a_failing_gate_rolls_back_and_production_stays_blue(rehearsal: Rehearsal) -> None:
    _, events = follow(rehearsal.platform(BLUEGREEN_VALIDATION_COMMAND="exit 3"))
    assert events[-1].status is Status.STOPPED
    assert rollbacks(events)
    assert rehearsal.serves() == "v1"
    [done] = rehearsal.deployments()
    assert (done["status"], done["lifecycleStage"]) == (
        "ROLLBACK_SUCCESSFUL",
        "POST_TEST_TRAFFIC_SHIFT",
    )
    assert "pause answered ROLLBACK" in done["statusReason"]


def test_green_that_cannot_start_fails_with_the_reason(rehearsal: Rehearsal) -> None:
    rehearsal.crashing_green()
    _, events = follow(rehearsal.platform())
    assert events[-1].status is Status.STOPPED
    [done] = rehearsal.deployments()
    assert (done["status"], done["lifecycleStage"]) == ("ROLLBACK_SUCCESSFUL", "SCALE_UP")
    assert "green not healthy" in done["statusReason"]
    assert done["statusReason"] in events[-1].message
    assert rehearsal.serves() == "v1"


@pytest.mark.parametrize("user_hooks", [[LAMBDA_HOOK]])
def test_a_failing_lambda_hook_rolls_back(rehearsal: Rehearsal) -> None:
    _, events = follow(rehearsal.platform())
    assert events[-1].status is Status.STOPPED
    message = rollbacks(events)[0].message
    assert str(LAMBDA_HOOK["hookTargetArn"]) in message and "FAILED" in message
    assert rehearsal.serves() == "v1"
    [done] = rehearsal.deployments()
    assert done["status"] == "ROLLBACK_SUCCESSFUL"
    hooks = {h["targetType"]: h["status"] for h in done["lifecycleHookDetails"]}
    assert hooks["AWS_LAMBDA"] == "FAILED"


def test_an_active_deployment_blocks_a_second(rehearsal: Rehearsal) -> None:
    platform = rehearsal.platform()
    first = platform.deploy(request())
    with pytest.raises(PlatformError, match=first) as caught:
        platform.deploy(request("v3"))
    assert caught.value.exit_code == 4
    assert [d["serviceDeploymentArn"] for d in rehearsal.deployments()] == [first]
    platform.stop(first, rollback=True)
    list(platform.events(first, follow=True))


def test_stop_status_history(rehearsal: Rehearsal) -> None:
    platform = rehearsal.platform()
    arn = platform.deploy(request())
    assert platform.status().deployment_id == arn
    wait_for(lambda: platform.status().status is Status.READY, "Ready")
    platform.stop(arn, rollback=True)
    events = list(platform.events(arn, follow=True))
    assert events[-1].status is Status.STOPPED
    assert [h.status for h in platform.history()] == [Status.STOPPED]
    [done] = rehearsal.deployments()
    assert done["status"] == "ROLLBACK_SUCCESSFUL"
    assert rehearsal.serves() == "v1"


@pytest.mark.parametrize("install_timeout", ["2s"])
def test_scale_up_stuck_past_install_timeout_is_stopped(
    rehearsal: Rehearsal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Green's /health answers 503 (taskdef.json's `${APP_UNHEALTHY_FILE}`)."""
    unhealthy = tmp_path / "unhealthy"
    unhealthy.touch()
    monkeypatch.setenv("APP_UNHEALTHY_FILE", str(unhealthy))
    _, events = follow(rehearsal.platform())
    assert events[-1].status is Status.STOPPED
    assert "Install still in progress after 2s" in rollbacks(events)[0].message
    [done] = rehearsal.deployments()
    assert (done["status"], done["lifecycleStage"]) == ("ROLLBACK_SUCCESSFUL", "SCALE_UP")
    assert done["statusReason"] == "stop requested"
    assert rehearsal.serves() == "v1"


def test_rollback_redeploys_what_the_last_success_replaced(rehearsal: Rehearsal) -> None:
    ecs = rehearsal.emulator.client("ecs")
    blue = ecs.describe_services(cluster="prod", services=["web"])["services"][0]
    follow(rehearsal.platform())
    assert rehearsal.serves() == "v2"
    platform = rehearsal.platform()
    arn = platform.rollback()
    assert list(platform.events(arn, follow=True))[-1].status is Status.SUCCEEDED
    assert rehearsal.serves() == "v1"
    now = ecs.describe_services(cluster="prod", services=["web"])["services"][0]
    assert now["taskDefinition"] == blue["taskDefinition"]


def started_configuration(
    rehearsal: Rehearsal, project: Project, config_name: str | None = None
) -> Any:
    """The deploymentConfiguration of the service deployment `deploy --no-wait` started."""
    arn = EcsPlatform(project).deploy(request(config_name=config_name))
    [started] = rehearsal.deployments()
    assert started["serviceDeploymentArn"] == arn
    return started["deploymentConfiguration"]


def test_a_linear_table_becomes_the_linear_strategy(rehearsal: Rehearsal) -> None:
    linear = resolve_config({"type": "linear", "percent": 20, "interval": "2m"})
    project = with_config(rehearsal.project(), "deployment", config=linear)
    settings = started_configuration(rehearsal, project)
    assert settings["strategy"] == "LINEAR"
    assert settings["linearConfiguration"] == {"stepPercent": 20.0, "stepBakeTimeInMinutes": 2}


def test_config_option_is_used(rehearsal: Rehearsal) -> None:
    canary = resolve_config({"type": "canary", "percent": 10, "interval": "5m"})
    project = with_config(rehearsal.project(), "deployment", config=canary)
    chosen = started_configuration(rehearsal, project, config_name="CodeDeployDefault.ECSAllAtOnce")
    assert chosen["strategy"] == "BLUE_GREEN"


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"type": "canary", "percent": 10, "interval": "30s"}, "deployment.config.interval"),
        ({"type": "linear", "percent": 2, "interval": "1m"}, "deployment.config.percent"),
        ("MyCodeDeployCanary", "deployment.config"),
    ],
)
def test_what_ecs_cannot_do_is_refused_before_anything_changes(
    rehearsal: Rehearsal, config: Any, field: str
) -> None:
    ecs = rehearsal.emulator.client("ecs")
    before = ecs.list_task_definitions(familyPrefix="web")["taskDefinitionArns"]
    project = with_config(rehearsal.project(), "deployment", config=resolve_config(config))
    with pytest.raises(SpecError) as caught:
        EcsPlatform(project).deploy(request())
    assert caught.value.exit_code == 2
    assert [p.field for p in caught.value.problems] == [field]
    assert ecs.list_task_definitions(familyPrefix="web")["taskDefinitionArns"] == before
    assert rehearsal.deployments() == []


def test_cli_deploy_then_gate_failure_exits_1(rehearsal: Rehearsal) -> None:
    where = [str(rehearsal.root), "--platform", "aws-ecs", "--image", "web:v2"]
    done = bluegreen(rehearsal.emulator, "deploy", *where, "--set", "VERSION=v2")
    assert done.returncode == 0, done.stdout + done.stderr
    assert rehearsal.serves() == "v2"
    failed = bluegreen(
        rehearsal.emulator,
        "deploy",
        *where,
        "--set",
        "VERSION=v3",
        BLUEGREEN_VALIDATION_COMMAND="exit 3",
    )
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert rehearsal.serves() == "v2"
    statuses = [d["status"] for d in rehearsal.deployments()]
    assert statuses == ["ROLLBACK_SUCCESSFUL", "SUCCESSFUL"]
