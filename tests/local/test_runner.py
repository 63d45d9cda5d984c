"""The runner keeps a live task set at its desired count, as an ECS service does,
and a task set whose tasks cannot be started at all fails at once with the
driver's error."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from bluegreen.spec.config import BluegreenConfig
from bluegreen.spec.task_definition import TaskDefinition
from bluegreen.tasks.driver import RunningTask
from bluegreen.tasks.process_driver import ProcessDriver
from bluegreen.tasks.runner import RestartPolicy, Runner

from .harness import APP, TASKDEF, make_project

TYPED = TaskDefinition.from_document(TASKDEF)


def runner(tmp_path: Path, command: str | None = f"{sys.executable} {APP}") -> Runner:
    config = BluegreenConfig.model_validate(
        {
            "service": {"name": "web", "container": "web", "container_port": 8000},
            "local": {"command": command},
        }
    )
    state = tmp_path / ".bluegreen"
    policy = RestartPolicy(first_delay=0.05, max_delay=0.2)
    return Runner(ProcessDriver(state), config, tmp_path, state, policy)


def test_a_crashed_task_is_restarted_on_a_new_port(tmp_path: Path) -> None:
    async def scenario() -> None:
        started: asyncio.Queue[RunningTask] = asyncio.Queue()
        exits: list[int] = []
        task_set = runner(tmp_path).task_set("a", "web:1", TYPED, count=1)

        async def on_start(task: RunningTask) -> None:
            await started.put(task)

        async def on_exit(task: RunningTask, code: int) -> None:
            exits.append(code)

        task_set.on_start, task_set.on_exit = on_start, on_exit
        await task_set.start()
        first = await asyncio.wait_for(started.get(), 10)
        os.killpg(int(first.handle), signal.SIGKILL)
        second = await asyncio.wait_for(started.get(), 10)
        assert exits == [-9]
        assert second.task_id != first.task_id and second.port != first.port
        await task_set.stop()
        assert not second.alive
        assert started.empty(), "nothing restarts once the set is stopped"

    asyncio.run(scenario())


def test_task_environment_comes_from_the_task_definition(tmp_path: Path) -> None:
    spec = runner(tmp_path).spec("web:1", TYPED)
    assert spec.env["APP_VERSION"] == "${APP_VERSION:-v1}"  # rendered earlier, by the client
    assert spec.env["PORT"] == str(spec.host_port)
    assert spec.stop_timeout == 2
    assert spec.log_path.parent.name == "web-1"


def test_a_task_of_a_snapshot_runs_there_with_that_snapshots_dockerfile(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text('FROM python\nENV TODAY=1\nCMD ["serve", "new"]\n')
    snapshot = tmp_path / "snapshot"
    snapshot.mkdir()
    (snapshot / "Dockerfile").write_text('FROM python\nENV OLD=1\nCMD ["serve", "old"]\n')
    tasks = runner(tmp_path, command=None)
    spec = tasks.spec("web:1", TYPED, workdir=snapshot)
    assert spec.workdir == snapshot
    assert spec.command is not None and "old" in spec.command
    assert spec.env["OLD"] == "1" and "TODAY" not in spec.env
    today = tasks.spec("web:1", TYPED)
    assert today.workdir is None and today.command is not None and "new" in today.command
    assert today.env["TODAY"] == "1" and "OLD" not in today.env


def test_a_task_that_cannot_start_fails_the_set_once_without_restarts(tmp_path: Path) -> None:
    async def scenario() -> None:
        failures: asyncio.Queue[str] = asyncio.Queue()
        started: list[RunningTask] = []
        task_set = runner(tmp_path, command=None).task_set("a", "web:1", TYPED, count=2)

        async def on_start(task: RunningTask) -> None:
            started.append(task)

        task_set.on_start, task_set.on_failure = on_start, failures.put
        await task_set.start()
        why = await asyncio.wait_for(failures.get(), 10)
        assert "no command for task web-1-" in why and "local.command" in why
        await task_set.stop()  # both slots' loops have ended: stop waits for them
        assert task_set.failure == why
        assert failures.empty(), "the failure is reported once for the set"
        assert not started

    asyncio.run(scenario())


def first_deploy(tmp_path: Path, command_line: str) -> str:
    """The output of a failed first deploy whose `[local] command` line is `command_line`."""
    project = make_project(tmp_path / "project")
    config = project.dir / "bluegreen.toml"
    lines = config.read_text().splitlines()
    config.write_text(
        "\n".join(command_line if line.startswith("command =") else line for line in lines)
    )
    project.cli("up")
    try:
        result = project.cli("deploy", check=False)
    finally:
        project.cli("down", check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "not healthy within" not in result.stdout, "failed at the install timeout"
    return result.stdout


def test_a_deploy_whose_tasks_cannot_start_fails_naming_the_drivers_error(
    tmp_path: Path,
) -> None:
    output = first_deploy(tmp_path, "")
    assert "green task set failed: no command for task web-1-" in output


def test_a_command_that_is_not_found_fails_the_deploy_with_the_shells_words(
    tmp_path: Path,
) -> None:
    output = first_deploy(tmp_path, 'command = "no-such-command-here --port $PORT"')
    assert "green task set failed: tasks exited 3 times (last exit code 127" in output
    assert "no-such-command-here: not found" in output
