"""ECS on the emulator: a service's tasks run the project's command and serve
through the emulated ALB; SIGTERM stops them all."""

from __future__ import annotations

import os
from pathlib import Path

import httpx

from .conftest import Emulator, leftover_tasks, start_emulator
from .project import blue_container
from .resources import Alb, create_alb, target_states, wait_for


def create_service(emulator: Emulator, alb: Alb, controller: str = "CODE_DEPLOY") -> str:
    ecs = emulator.client("ecs")
    ecs.create_cluster(clusterName="prod")
    arn = ecs.register_task_definition(family="web", containerDefinitions=[blue_container("v1")])
    ecs.create_service(
        cluster="prod",
        serviceName="web",
        taskDefinition=arn["taskDefinition"]["taskDefinitionArn"],
        desiredCount=2,
        deploymentController={"type": controller},
        launchType="FARGATE",
        loadBalancers=[
            {"targetGroupArn": alb.blue_group, "containerName": "web", "containerPort": 8000}
        ],
    )
    return str(arn["taskDefinition"]["taskDefinitionArn"])


def task_pids(state_dir: Path) -> list[int]:
    return [int(f.read_text().split()[0]) for f in (state_dir / "tasks").glob("*.pid")]


def test_service_tasks_serve_and_stop_with_the_emulator(tmp_path: Path, project_dir: Path) -> None:
    emulator = start_emulator(tmp_path, project_dir)
    try:
        alb = create_alb(emulator)
        create_service(emulator, alb)
        wait_for(
            lambda: target_states(emulator, alb.blue_group) == ["healthy", "healthy"],
            "two healthy tasks",
        )
        answer = httpx.get(alb.prod_url, timeout=10)
        assert answer.text == "v1\n" and answer.headers["X-App"] == "local_app"
        pids = task_pids(emulator.state_dir)
        assert len(pids) == 2
    finally:
        assert emulator.stop() == 0
    assert leftover_tasks(emulator.state_dir) == []
    for pid in pids:
        assert not _alive(pid), f"task {pid} outlived the emulator"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
