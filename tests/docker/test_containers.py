"""Container definitions to `docker create` arguments (pure: no engine)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bluegreen.errors import PlatformError
from bluegreen.spec.config import LocalNetwork
from bluegreen.spec.project import load_project
from bluegreen.spec.task_definition import ContainerDefinition, TaskDefinition
from bluegreen.spec.taskdef import render_taskdef
from bluegreen.tasks.container_plan import plan_task
from bluegreen.tasks.driver import TaskSpec
from bluegreen.tasks.process_driver import ProcessDriver
from bluegreen.tasks.runner import Runner


def spec(*definitions: dict, network: LocalNetwork) -> TaskSpec:
    return TaskSpec(
        task_id="web-1-x",
        revision="web:1",
        project_dir=Path("/p"),
        containers=tuple(ContainerDefinition.model_validate(d) for d in definitions),
        container="web",
        container_port=8000,
        host_port=41234,
        env={"PORT": "41234", "MODE": "task"},
        command=None,
        workdir=None,
        log_path=Path("/p/log"),
        stop_timeout=5,
        labels={"bluegreen.project": "/p"},
        network=network,
    )


SIDECAR = {"name": "agent", "image": "agent:2", "essential": False,
           "environment": [{"name": "LEVEL", "value": 3}]}  # fmt: skip
WEB = {"name": "web", "image": "web:placeholder", "entryPoint": ["/init"], "command": ["serve"]}


def test_publish_maps_the_container_port_and_side_containers_join_its_network() -> None:
    web, agent = plan_task(spec(SIDECAR, {**WEB, "image": "web:abc"}, network=LocalNetwork.PUBLISH))
    assert (web.name, web.image, web.essential, web.joins_task_network) == (
        "web",
        "web:abc",
        True,
        False,
    )
    assert web.create["ports"] == {"8000/tcp": ("127.0.0.1", 41234)}
    assert web.create["environment"] == {"PORT": "8000", "MODE": "task"}
    assert (web.create["entrypoint"], web.create["command"]) == (["/init"], ["serve"])
    assert agent.joins_task_network and "ports" not in agent.create
    assert agent.create["environment"] == {"LEVEL": "3"}
    assert (agent.image, agent.essential) == ("agent:2", False)
    assert agent.create["labels"] == {
        "bluegreen.project": "/p",
        "bluegreen.revision": "web:1",
        "bluegreen.task": "web-1-x",
        "bluegreen.container": "agent",
    }


def test_host_network_keeps_the_tasks_port_for_every_container() -> None:
    web, agent = plan_task(spec(WEB, SIDECAR, network=LocalNetwork.HOST))
    assert web.create["network_mode"] == agent.create["network_mode"] == "host"
    assert web.create["environment"]["PORT"] == "41234"
    assert web.image == "web:placeholder"
    assert not agent.joins_task_network


def test_health_check_defaults_follow_ecs_in_nanoseconds() -> None:
    check = {"command": ["CMD-SHELL", "true"], "interval": 0.5}
    (web,) = plan_task(spec({**WEB, "healthCheck": check}, network=LocalNetwork.HOST))
    assert web.create["healthcheck"] == {
        "test": ["CMD-SHELL", "true"],
        "interval": 500_000_000,
        "timeout": 5_000_000_000,
        "retries": 3,
        "start_period": 0,
    }


def test_a_task_without_the_load_balanced_container_is_refused() -> None:
    with pytest.raises(PlatformError, match="no container named 'web'"):
        plan_task(spec(SIDECAR, network=LocalNetwork.HOST))


def test_the_example_app_maps_to_what_ecs_would_run(tmp_path: Path) -> None:
    """examples/flask-app under `local.driver = "docker"`: its image, port and health check."""
    example = Path(__file__).parents[2] / "examples" / "flask-app"
    project = load_project(example, env={"BLUEGREEN_LOCAL_DRIVER": "docker"})
    image = "127.0.0.1:5000/flask-app:abc1234"
    document = render_taskdef(project, image=image, env={}, local_defaults=True)
    runner = Runner(ProcessDriver(tmp_path), project.config, example, tmp_path)
    task = runner.spec("flask-app:1", TaskDefinition.from_document(document))
    (web,) = plan_task(task)
    assert web.image == image
    assert web.create["ports"] == {"8000/tcp": ("127.0.0.1", task.host_port)}
    assert web.create["environment"]["PORT"] == "8000"
    assert web.create["environment"]["APP_VERSION"] == "dev"
    assert web.create["healthcheck"]["test"][:2] == ["CMD", "python"]
    assert web.create["healthcheck"]["start_period"] == 10 * 1_000_000_000
