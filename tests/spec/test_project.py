"""load_project on the example app and on copies of it with one thing changed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bluegreen.errors import SpecError
from bluegreen.spec.project import load_project

EXAMPLE = Path(__file__).parents[2] / "examples" / "flask-app"


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    target = tmp_path / "app"
    shutil.copytree(EXAMPLE, target)
    return target


def test_example_loads_with_its_own_values():
    project = load_project(EXAMPLE, env={})
    assert project.config.service.container == "web"
    assert project.appspec.target.load_balancer_info.container_port == 8000
    assert project.taskdef["family"] == "flask-app"
    assert project.appspec_path.name == "appspec.yaml"


def test_every_file_is_reported_not_just_the_first(app_dir: Path):
    (app_dir / "bluegreen.toml").write_text("[service\n")
    (app_dir / "taskdef.json").write_text("{")
    (app_dir / "appspec.yaml").write_text("version: [\n")
    with pytest.raises(SpecError) as caught:
        load_project(app_dir, env={})
    files = {Path(p.file).name for p in caught.value.problems}
    assert files == {"bluegreen.toml", "taskdef.json", "appspec.yaml"}


def test_appspec_json_is_found_when_there_is_no_yaml(app_dir: Path):
    (app_dir / "appspec.yaml").unlink()
    (app_dir / "appspec.json").write_text(
        '{"version": 0.0, "Resources": [{"TargetService": {"Type": "AWS::ECS::Service",'
        ' "Properties": {"TaskDefinition": "x", "LoadBalancerInfo":'
        ' {"ContainerName": "web", "ContainerPort": 8000}}}}]}'
    )
    assert load_project(app_dir, env={}).appspec_path.name == "appspec.json"
