"""The Docker task driver against a real engine: lifecycle, logs, health, limits, cleanup."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import docker
import pytest

from bluegreen.errors import PlatformError
from bluegreen.images import ImageRef, build_image, push_image
from bluegreen.spec.config import BluegreenConfig, LocalNetwork
from bluegreen.spec.task_definition import ContainerDefinition, TaskDefinition
from bluegreen.tasks.docker_driver import DockerDriver
from bluegreen.tasks.driver import LABEL_PROJECT, LABEL_REVISION, LABEL_TASK, TaskSpec
from bluegreen.tasks.listening_ports import misbound
from bluegreen.tasks.runner import RestartPolicy, Runner, free_port

from ..local.test_process_driver import until_answers

pytestmark = pytest.mark.docker
APP_IMAGE = "bluegreen-test/app:1"


@pytest.fixture(scope="module")
def app_image(docker_harness) -> str:
    build_image(
        docker_harness.client, Path(__file__).parent / "app", ImageRef(*APP_IMAGE.split(":"))
    )
    return APP_IMAGE


def web(**fields: Any) -> dict[str, Any]:
    return {"name": "web", "image": APP_IMAGE, "essential": True, **fields}


def task_spec(tmp_path: Path, *definitions: Mapping[str, Any], **overrides: Any) -> TaskSpec:
    port = free_port()
    task_id = overrides.pop("task_id", f"web-1-{port}")
    fields: dict[str, Any] = {
        "task_id": task_id,
        "revision": "web:1",
        "project_dir": tmp_path,
        "containers": tuple(ContainerDefinition.model_validate(d) for d in definitions or (web(),)),
        "container": "web",
        "container_port": 80,
        "host_port": port,
        "env": {"PORT": str(port)},
        "command": None,
        "workdir": None,
        "log_path": tmp_path / "logs" / f"{task_id}.log",
        "stop_timeout": 2.0,
        "labels": {LABEL_PROJECT: str(tmp_path), LABEL_REVISION: "web:1", LABEL_TASK: task_id},
        "network": LocalNetwork.HOST,
    }
    return TaskSpec(**{**fields, **overrides})


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(scenario(), timeout=60))


def test_a_task_serves_is_labelled_logs_and_stops_cleanly(
    docker_client: docker.DockerClient, app_image: str, tmp_path: Path
) -> None:
    spec = task_spec(tmp_path)

    async def scenario() -> None:
        task = await DockerDriver(tmp_path / "state").start(spec)
        assert (await until_answers(task.port)).text == "blue\n"
        (container,) = docker_client.containers.list(
            filters={"label": f"{LABEL_TASK}={spec.task_id}"}
        )
        assert container.id == task.handle
        assert container.labels[LABEL_PROJECT] == str(tmp_path)
        assert container.labels[LABEL_REVISION] == "web:1"
        assert container.labels["bluegreen.container"] == "web"
        assert await task.stop(2.0) == 0
        assert not task.alive

    run(scenario)
    assert f"serving blue on {spec.host_port}" in spec.log_path.read_text()


def test_a_crash_ends_the_task_with_its_exit_code_and_output(
    docker_client: docker.DockerClient, app_image: str, tmp_path: Path
) -> None:
    # No labels from the caller: the driver labels what it needs to follow the task itself.
    spec = task_spec(tmp_path, web(command=["sh", "-c", "echo boom >&2; exit 3"]), labels={})

    async def scenario() -> None:
        task = await DockerDriver(tmp_path / "state").start(spec)
        assert await task.wait() == 3
        assert not task.alive

    run(scenario)
    assert "boom" in spec.log_path.read_text()


def test_a_task_deaf_to_sigterm_is_killed_after_the_timeout(
    docker_client: docker.DockerClient, app_image: str, tmp_path: Path
) -> None:
    spec = task_spec(tmp_path, web(entryPoint=["sleep"], command=["30"]))

    async def scenario() -> None:
        task = await DockerDriver(tmp_path / "state").start(spec)
        assert await task.stop(1.0) == -9

    run(scenario)


def test_an_unhealthy_essential_container_ends_the_task(
    docker_client: docker.DockerClient, app_image: str, tmp_path: Path
) -> None:
    # Unhealthy once the app answers: it is up (its SIGTERM trap set) when the
    # driver stops it, however long a loaded machine takes to start it.
    check = {
        "command": ["CMD-SHELL", "! wget -q -O- http://127.0.0.1:$PORT/health"],
        "interval": 0.1,
        "timeout": 5,
        "retries": 2,
    }
    spec = task_spec(tmp_path, web(healthCheck=check))

    async def scenario() -> None:
        task = await DockerDriver(tmp_path / "state").start(spec)
        assert await task.wait() == 0  # stopped by the driver, and the app stops cleanly

    run(scenario)
    assert "container web is unhealthy: stopping the task" in spec.log_path.read_text()


def test_a_healthy_container_keeps_running(
    docker_client: docker.DockerClient, app_image: str, tmp_path: Path
) -> None:
    probe = "wget -q -O- http://127.0.0.1:$PORT/health"
    # A generous timeout and retries: a loaded machine may take long to exec the probe.
    check = {"command": ["CMD-SHELL", probe], "interval": 0.1, "timeout": 10, "retries": 10}
    spec = task_spec(tmp_path, web(healthCheck=check))

    async def scenario() -> None:
        task = await DockerDriver(tmp_path / "state").start(spec)
        container = docker_client.containers.get(task.handle)
        for _ in range(400):
            container.reload()
            if container.attrs["State"]["Health"]["Status"] == "healthy":
                break
            await asyncio.sleep(0.05)
        assert container.attrs["State"]["Health"]["Status"] == "healthy"
        assert task.alive
        await task.stop(2.0)

    run(scenario)


def test_only_essential_containers_end_the_task(
    docker_client: docker.DockerClient, app_image: str, tmp_path: Path
) -> None:
    helper = {"name": "helper", "image": APP_IMAGE, "command": ["sh", "-c", "echo helping"]}
    sidecar = {**helper, "name": "sidecar", "command": ["sh", "-c", "exit 7"]}
    spec = task_spec(tmp_path, web(), {**helper, "essential": False}, sidecar)

    async def scenario() -> None:
        task = await DockerDriver(tmp_path / "state").start(spec)
        assert await task.wait() == 7
        assert not docker_client.containers.list(all=True)

    run(scenario)
    assert "[helper] helping" in spec.log_path.read_text()


def test_cpu_memory_and_init_reach_the_container(
    docker_client: docker.DockerClient, app_image: str, tmp_path: Path
) -> None:
    limits = {"cpu": 256, "memory": 64, "memoryReservation": 32}
    spec = task_spec(tmp_path, web(**limits, linuxParameters={"initProcessEnabled": True}))

    async def scenario() -> None:
        task = await DockerDriver(tmp_path / "state").start(spec)
        host_config = docker_client.containers.get(task.handle).attrs["HostConfig"]
        assert host_config["CpuShares"] == 256
        assert host_config["Memory"] == 64 * 1024 * 1024
        assert host_config["MemoryReservation"] == 32 * 1024 * 1024
        assert host_config["Init"] is True
        assert host_config["NetworkMode"] == "host"
        await task.stop(2.0)

    run(scenario)


def test_cleanup_removes_only_this_projects_containers(
    docker_client: docker.DockerClient, app_image: str, tmp_path: Path
) -> None:
    ours = task_spec(tmp_path / "ours")
    theirs = task_spec(tmp_path / "theirs")

    async def scenario() -> None:
        crashed = DockerDriver(tmp_path / "state")
        orphan = await crashed.start(ours)
        other = await crashed.start(theirs)
        restarted = DockerDriver(tmp_path / "state")
        assert await restarted.cleanup_orphans(str(tmp_path / "ours")) == 1
        assert await orphan.wait() == -9
        assert other.alive
        assert await restarted.cleanup_orphans(str(tmp_path / "ours")) == 0
        await other.stop(2.0)

    run(scenario)


def test_a_missing_image_is_a_platform_error_and_leaves_nothing(
    docker_client: docker.DockerClient, app_image: str, tmp_path: Path
) -> None:
    spec = task_spec(tmp_path, web(image="127.0.0.1:9/absent:1"))

    async def scenario() -> None:
        with pytest.raises(PlatformError, match=r"127\.0\.0\.1:9/absent:1 is not on the engine"):
            await DockerDriver(tmp_path / "state").start(spec)

    run(scenario)


def test_an_image_only_in_the_registry_is_pulled(
    docker_client: docker.DockerClient, app_image: str, registry: str, tmp_path: Path
) -> None:
    target = ImageRef("pulled/app", "v1", registry)
    push_image(docker_client, ImageRef(*APP_IMAGE.split(":")), target)
    docker_client.images.remove(str(target))
    spec = task_spec(tmp_path, web(image=str(target)))

    async def scenario() -> None:
        task = await DockerDriver(tmp_path / "state").start(spec)
        assert (await until_answers(task.port)).text == "blue\n"
        await task.stop(2.0)

    run(scenario)


def test_a_start_cancelled_midway_leaves_no_container(
    docker_client: docker.DockerClient, app_image: str, tmp_path: Path
) -> None:
    spec = task_spec(tmp_path)
    label = {"label": f"{LABEL_TASK}={spec.task_id}"}

    async def scenario() -> None:
        driver = DockerDriver(tmp_path / "state")
        await driver.client()
        starting = asyncio.create_task(driver.start(spec))
        await asyncio.sleep(0)  # now inside the engine calls, in the driver's thread
        starting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await starting
        for _ in range(200):
            if docker_client.api.containers(all=True, filters=label):
                break
            await asyncio.sleep(0.01)  # the thread goes on and creates it...
        for _ in range(200):
            if not docker_client.api.containers(all=True, filters=label):
                return
            await asyncio.sleep(0.05)  # ...and then it is removed
        raise AssertionError("the container of the cancelled start is still there")

    run(scenario)


def test_the_runner_replaces_a_killed_container(
    docker_client: docker.DockerClient, app_image: str, tmp_path: Path
) -> None:
    service = {"name": "web", "container": "web", "container_port": 80}
    config = BluegreenConfig(service=service, local={"driver": "docker", "network": "host"})
    runner = Runner(DockerDriver(tmp_path / "state"), config, tmp_path, tmp_path / "state",
                    RestartPolicy(first_delay=0.01))  # fmt: skip
    taskdef = TaskDefinition.from_document({"containerDefinitions": [web(stopTimeout=2)]})

    async def scenario() -> None:
        started: asyncio.Queue[str] = asyncio.Queue()
        task_set = runner.task_set("blue", "web:1", taskdef, count=1)
        task_set.on_start = lambda task: started.put(task.handle)
        await task_set.start()
        first = await started.get()
        docker_client.containers.get(first).kill()
        second = await started.get()
        assert second != first
        assert (await until_answers(task_set.tasks[0].port)).text == "blue\n"
        await task_set.stop()

    run(scenario)


def test_a_host_network_container_on_another_port_is_named_with_it(
    docker_client: docker.DockerClient, app_image: str, tmp_path: Path
) -> None:
    fixed = free_port()  # what the app hard-codes instead of reading PORT
    serve = f"trap 'exit 0' TERM; httpd -f -p 0.0.0.0:{fixed} -h /www & wait"
    spec = task_spec(tmp_path, web(command=["sh", "-c", serve]))

    async def scenario() -> None:
        task = await DockerDriver(tmp_path / "state").start(spec)
        try:
            await until_answers(fixed)
            async with asyncio.timeout(30):
                while not (why := misbound(task.pids(), task.port)):
                    await asyncio.sleep(0.05)
            assert why.startswith(f"listens on 0.0.0.0:{fixed}, not on $PORT={spec.host_port};")
        finally:
            await task.stop(2.0)

    run(scenario)
