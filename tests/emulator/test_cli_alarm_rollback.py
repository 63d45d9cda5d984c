"""An alarm rollback that nobody set by hand: `bluegreen deploy --platform
aws-codedeploy` ships a green whose `/` answers 500 (its /health is fine, so
the gate passes), the canary sends it 20 % of production, the target group's
5xx alarm fires from what the load balancer counted, and CodeDeploy stops
the deployment and puts traffic back on blue. What the steady client sees is
what AWS would give it: the 500s green answered, at the canary's share,
nothing else failed, and only blue after the alarm."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import Emulator
from .resources import wait_for
from .steady import SteadyClient
from .test_cli_codedeploy import deploy, setup
from .test_cloudwatch_alarms import dimensions, put_alarm

pytestmark = pytest.mark.slow

CANARY = '{ type = "canary", percent = 20, interval = "10m" }'
ALARMS = ["web-5xx-blue", "web-5xx-green"]
GREEN_500 = "500 broken\n"  # the app's own answer (the proxy's 5xx read otherwise)


def fail_on_request(project_dir: Path) -> None:
    """The taskdef's container answers 500 on `/` when deployed with APP_MODE=errors."""
    path = project_dir / "taskdef.json"
    document = json.loads(path.read_text())
    document["containerDefinitions"][0]["environment"].append(
        {"name": "APP_MODE", "value": "${APP_MODE:-ok}"}
    )
    path.write_text(json.dumps(document, indent=2))


def test_a_5xx_alarm_from_the_metrics_rolls_the_canary_back(
    project_emulator: Emulator, project_dir: Path
) -> None:
    emulator = project_emulator
    alb = setup(emulator, project_dir, config=CANARY, alarms=ALARMS)
    fail_on_request(project_dir)
    for name, group in zip(ALARMS, (alb.blue_group, alb.green_group), strict=True):
        put_alarm(
            emulator,
            name,
            "HTTPCode_Target_5XX_Count",
            dimensions(alb, group),
            Threshold=5,
            TreatMissingData="notBreaching",
        )
    with SteadyClient(alb.prod_url) as steady:
        wait_for(lambda: len(steady.answers) > 20, "the steady client's first answers")
        done = deploy(emulator, project_dir, APP_MODE="errors")
        seen = len(steady.sequence)
        wait_for(lambda: len(steady.sequence) > seen + 50, "answers after the rollback")
    assert done.returncode == 1, done.stdout + done.stderr
    codedeploy = emulator.client("codedeploy")
    ids = codedeploy.list_deployments()["deployments"]
    infos = codedeploy.batch_get_deployments(deploymentIds=ids)["deploymentsInfo"]
    mine = next(i for i in infos if i["creator"] == "user")
    assert mine["status"] == "Stopped"
    assert mine["errorInformation"]["code"] == "ALARM_ACTIVE"
    # The alarm fired from the data (nobody set it), and the deployment says so.
    assert mine["errorInformation"]["message"].startswith(
        "alarm web-5xx-green fired: Threshold Crossed: 1 out of the last 1 datapoints ["
    )
    # Only green's own 500s failed, at the canary's share while it ran.
    assert steady.failures and set(steady.failures) == {GREEN_500}
    sequence = steady.sequence
    first = sequence.index(GREEN_500)
    last = len(sequence) - 1 - sequence[::-1].index(GREEN_500)
    canary = sequence[first : last + 1]
    assert len(canary) >= 20, f"only {len(canary)} requests in the canary window"
    assert abs(canary.count(GREEN_500) - 0.2 * len(canary)) <= 2, canary.count(GREEN_500)
    assert set(canary) == {GREEN_500, "v1"}
    # After the alarm, traffic is back on blue.
    assert set(sequence[last + 1 :]) == {"v1"} and len(sequence) - last > 50
