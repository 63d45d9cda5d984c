"""`bluegreen aws template`: both templates pass cfn-lint and carry the
settings bluegreen.toml asks for."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bluegreen.cli.main import main
from bluegreen.spec.project import Project


def template_of(project: Project, controller: str, out: Path) -> dict:
    with pytest.raises(SystemExit) as done:
        main(["aws", "template", str(project.dir), "--controller", controller, "--out", str(out)])
    assert done.value.code == 0
    return yaml.safe_load(out.read_text())


def test_both_templates_pass_cfn_lint(project: Project, tmp_path: Path) -> None:
    cfn_lint = str(Path(sys.executable).parent / "cfn-lint")
    paths = []
    for controller in ("codedeploy", "ecs"):
        path = tmp_path / f"{controller}.yaml"
        template_of(project, controller, path)
        paths.append(str(path))
    lint = subprocess.run(
        [cfn_lint, "--non-zero-exit-code", "informational", *paths],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_codedeploy_group_gates_and_rolls_back(project: Project, tmp_path: Path) -> None:
    resources = template_of(project, "codedeploy", tmp_path / "t.yaml")["Resources"]
    group = resources["DeploymentGroup"]["Properties"]
    ready = group["BlueGreenDeploymentConfiguration"]["DeploymentReadyOption"]
    assert ready["ActionOnTimeout"] == "STOP_DEPLOYMENT"
    assert group["AutoRollbackConfiguration"]["Events"] == [
        "DEPLOYMENT_FAILURE",
        "DEPLOYMENT_STOP_ON_ALARM",
        "DEPLOYMENT_STOP_ON_REQUEST",
    ]
    terminate = group["BlueGreenDeploymentConfiguration"][
        "TerminateBlueInstancesOnDeploymentSuccess"
    ]
    assert terminate["TerminationWaitTimeInMinutes"] == 5
    assert group["DeploymentGroupName"] == "DgpECS-prod-web"
    pair = group["LoadBalancerInfo"]["TargetGroupPairInfoList"][0]
    assert pair["TestTrafficRoute"]["ListenerArns"] == [{"Ref": "TestListener"}]
    health = resources["TargetGroupGreen"]["Properties"]
    assert (health["HealthCheckPath"], health["Matcher"]) == ("/health", {"HttpCode": "200-399"})
    service = resources["Service"]["Properties"]
    assert service["DeploymentController"] == {"Type": "CODE_DEPLOY"}


def test_ecs_template_uses_the_config_strategy(project: Project, tmp_path: Path) -> None:
    resources = template_of(project, "ecs", tmp_path / "t.yaml")["Resources"]
    settings = resources["Service"]["Properties"]["DeploymentConfiguration"]
    assert settings["Strategy"] == "CANARY"
    assert settings["CanaryConfiguration"] == {"CanaryPercent": 10.0, "CanaryBakeTimeInMinutes": 5}
    assert "DeploymentGroup" not in resources


def test_ecs_template_wires_the_5xx_alarms_to_the_service(project: Project, tmp_path: Path) -> None:
    resources = template_of(project, "ecs", tmp_path / "t.yaml")["Resources"]
    alarms = resources["Service"]["Properties"]["DeploymentConfiguration"]["Alarms"]
    assert alarms == {
        "AlarmNames": [{"Ref": "Alarm5xxBlue"}, {"Ref": "Alarm5xxGreen"}],
        "Enable": True,
        "Rollback": True,
    }
    assert {"Alarm5xxBlue", "Alarm5xxGreen"} <= set(resources)


def test_bad_controller_is_exit_2(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["aws", "template", str(project.dir), "--controller", "lambda"])
    assert done.value.code == 2
    assert "lambda" in capsys.readouterr().err
