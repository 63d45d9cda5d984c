"""The user's own script, run on the emulator: the AWS CLI steps of a
CodeDeploy ECS tutorial as a shell would type them (register-task-definition,
create-deployment with the revision `bluegreen render --what revision`
prints, a validate loop that waits for Ready, probes the test listener and
continues), while a steady client uses the production listener."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from . import codedeploy_setup as cd
from .conftest import BLUEGREEN, Emulator
from .project import blue_container
from .resources import create_alb, wait_for
from .steady import SteadyClient

pytestmark = pytest.mark.slow
AWS = str(Path(sys.executable).parent / "aws")

VALIDATE = """\
set -eu
until [ "$(aws deploy get-deployment --deployment-id "$ID" \\
           --query deploymentInfo.status --output text)" = Ready ]; do sleep 0.2; done
answer=$(curl -fsS "$TEST_URL/")
[ "$answer" = v2 ] || { echo "test listener answered $answer" >&2; exit 1; }
aws deploy continue-deployment --deployment-id "$ID" --deployment-wait-type READY_WAIT
aws deploy wait deployment-successful --deployment-id "$ID"
"""


def aws(emulator: Emulator, *args: str) -> str:
    done = subprocess.run(
        [AWS, *args], env=emulator.env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_tutorial_s_aws_cli_steps_deploy_v2_through_the_validate_loop(
    project_emulator: Emulator, project_dir: Path, tmp_path: Path
) -> None:
    emulator = project_emulator
    alb = create_alb(emulator)
    cd.create_blue_service(emulator, alb)
    cd.create_group(emulator, alb)
    taskdef = tmp_path / "taskdef-v2.json"
    taskdef.write_text(
        json.dumps({"family": "web", "containerDefinitions": [blue_container("v2")]})
    )
    registered = json.loads(
        aws(emulator, "ecs", "register-task-definition", "--cli-input-json", f"file://{taskdef}")
    )
    arn = registered["taskDefinition"]["taskDefinitionArn"]
    rendered = subprocess.run(
        [BLUEGREEN, "render", str(project_dir), "--what", "revision", "--task-definition-arn", arn],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert rendered.returncode == 0, rendered.stderr
    revision = tmp_path / "revision.json"
    revision.write_text(rendered.stdout)
    with SteadyClient(alb.prod_url) as steady:
        created = aws(
            emulator,
            *("deploy", "create-deployment", "--application-name", cd.APPLICATION),
            *("--deployment-group-name", cd.GROUP, "--revision", f"file://{revision}"),
        )
        deployment_id = json.loads(created)["deploymentId"]
        env = {**emulator.env, "ID": deployment_id, "TEST_URL": alb.test_url}
        env["PATH"] = f"{Path(AWS).parent}:{env['PATH']}"
        loop = subprocess.run(
            ["bash", "-c", VALIDATE], env=env, capture_output=True, text=True, timeout=240
        )
        assert loop.returncode == 0, loop.stdout + loop.stderr
        seen = len(steady.answers)
        wait_for(lambda: len(steady.answers) > seen + 20, "answers after the deployment")
    assert steady.failures == []
    assert steady.answers[0] == "v1" and steady.answers[-1] == "v2"
    assert cd.deployment_status(emulator, deployment_id) == "Succeeded"
