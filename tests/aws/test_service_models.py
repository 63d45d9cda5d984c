"""The installed botocore knows every operation, member and enum value that
the AWS platforms send, and pyproject's floor is a release that has them.

botocore's own validation (which the doubles run on every request) checks
members and types but not enum values, so a release without the PAUSE hook
type would still pass it: this walks each request itself. The floor,
boto3 1.43.10 (botocore 1.43.10), is the first release whose ECS model has
ContinueServiceDeployment and the PAUSE hook target type; 1.43.9 lacks both.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import botocore
import botocore.session
import pytest
from botocore.model import Shape

from bluegreen.aws.codedeploy import CodeDeployPlatform
from bluegreen.aws.ecs_native import EcsPlatform
from bluegreen.platform import DeployRequest
from bluegreen.spec.deployment_config import resolve_config
from bluegreen.spec.project import Project

from .codedeploy_double import CodeDeployDouble
from .conftest import IMAGE, deploy_and_follow, with_config
from .ecs_double import EcsDouble

FLOOR = (1, 43, 10)
ROOT = Path(__file__).resolve().parents[2]


def unknown(shape: Shape, value: Any, path: str) -> list[str]:
    """Members, and enum values, that `shape` does not have."""
    if shape.type_name == "structure":
        found = []
        for key, item in value.items():
            if key not in shape.members:
                found.append(f"{path}.{key}")
            else:
                found += unknown(shape.members[key], item, f"{path}.{key}")
        return found
    if shape.type_name == "list":
        return [u for item in value for u in unknown(shape.member, item, f"{path}[]")]
    if shape.type_name == "string" and shape.enum and value not in shape.enum:
        return [f"{path}={value}"]
    return []


def unknown_in(service: str, calls: list[tuple[str, dict[str, Any]]]) -> list[str]:
    model = botocore.session.get_session().get_service_model(service)
    found = []
    for operation, params in calls:
        if operation not in model.operation_names:
            found.append(operation)
        else:
            found += unknown(model.operation_model(operation).input_shape, params, operation)
    return found


@pytest.mark.usefixtures("ecs_service")
def test_ecs_model_has_what_aws_ecs_sends(project: Project, ecs: EcsDouble) -> None:
    linear = {"type": "linear", "percent": 10, "interval": "1m"}
    for config in ("CodeDeployDefault.ECSCanary10Percent5Minutes", linear):
        chosen = resolve_config(config)
        deploy_and_follow(EcsPlatform(with_config(project, "deployment", config=chosen)))
    platform = EcsPlatform(project)
    platform.stop(platform.deploy(DeployRequest(image=IMAGE)))
    operations = {name for name, _ in ecs.calls}
    assert {"UpdateService", "ContinueServiceDeployment", "StopServiceDeployment"} <= operations
    assert unknown_in("ecs", ecs.calls) == []


@pytest.mark.usefixtures("codedeploy_group")
def test_codedeploy_model_has_what_aws_codedeploy_sends(
    project: Project, codedeploy: CodeDeployDouble
) -> None:
    canary = resolve_config({"type": "canary", "percent": 20, "interval": "2m"})
    deploy_and_follow(CodeDeployPlatform(with_config(project, "deployment", config=canary)))
    assert "CreateDeploymentConfig" in {name for name, _ in codedeploy.calls}
    assert unknown_in("codedeploy", codedeploy.calls) == []


def version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def test_the_boto3_floor_is_the_release_with_the_pause_hook() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    floors = [re.fullmatch(r"boto3>=([\d.]+),<2", d) for d in project["dependencies"]]
    floor = next(f.group(1) for f in floors if f)
    assert version(floor) == FLOOR
    assert version(botocore.__version__) >= FLOOR
