from __future__ import annotations

import asyncio
import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from bluegreen.errors import PlatformError
from bluegreen.tasks.driver import TaskSpec
from bluegreen.tasks.process_driver import ProcessDriver
from bluegreen.tasks.runner import free_port

APP = Path(__file__).parents[1] / "apps" / "local_app.py"


def spec(tmp_path: Path, command: str, task_id: str = "web-1-abc") -> TaskSpec:
    port = free_port()
    return TaskSpec(
        task_id=task_id,
        revision="web:1",
        project_dir=tmp_path,
        containers=(),
        container="web",
        container_port=80,
        host_port=port,
        env={"PORT": str(port), "APP_VERSION": "v7"},
        command=command,
        workdir=None,
        log_path=tmp_path / "logs" / f"{task_id}.log",
        stop_timeout=2.0,
    )


async def until_answers(port: int) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        for _ in range(200):
            try:
                return await client.get(f"http://127.0.0.1:{port}/")
            except httpx.TransportError:
                await asyncio.sleep(0.02)
    raise AssertionError("task never answered")


def test_task_serves_on_port_and_stops(tmp_path: Path) -> None:
    async def scenario() -> None:
        driver = ProcessDriver(tmp_path / "state")
        task = await driver.start(spec(tmp_path, f"{sys.executable} {APP}"))
        response = await until_answers(task.port)
        assert response.text == "v7\n"
        assert (tmp_path / "state" / "tasks" / "web-1-abc.pid").exists()
        assert await task.stop(2.0) in (0, -15)  # gracefully, before SIGKILL
        assert not task.alive
        assert not (tmp_path / "state" / "tasks" / "web-1-abc.pid").exists()
        assert "serving v7" in (tmp_path / "logs" / "web-1-abc.log").read_text()

    asyncio.run(scenario())


def test_stop_kills_the_whole_group_after_timeout(tmp_path: Path) -> None:
    async def scenario() -> None:
        driver = ProcessDriver(tmp_path / "state")
        stubborn = "trap '' TERM; sleep 30 & sleep 30 & wait"
        task = await driver.start(spec(tmp_path, stubborn))
        await asyncio.sleep(0.1)
        code = await task.stop(0.2)
        assert code == -9

    asyncio.run(scenario())


def test_orphans_of_a_previous_driver_are_killed(tmp_path: Path) -> None:
    async def scenario() -> None:
        task = await ProcessDriver(tmp_path / "state").start(spec(tmp_path, "echo up; sleep 30"))
        while b"up" not in (tmp_path / "logs" / "web-1-abc.log").read_bytes():
            await asyncio.sleep(0.01)  # exec'ed: its environment is the task's now
        (tmp_path / "state" / "tasks" / "web-9-stale.pid").write_text("999999999")
        found = await ProcessDriver(tmp_path / "state").cleanup_orphans("ignored")
        assert found == 1
        assert await task.wait() == -9
        assert not list((tmp_path / "state" / "tasks").iterdir())

    asyncio.run(scenario())


def test_the_task_runs_the_users_python_not_bluegreens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The user's virtualenv, first on their PATH, is the one a task's `python` comes from."""
    user_venv = tmp_path / "user-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(user_venv)], check=True)
    monkeypatch.setenv("PATH", f"{user_venv / 'bin'}{os.pathsep}{os.environ['PATH']}")
    command = "python -c 'import sys; print(\"prefix\", sys.prefix)'"

    async def scenario() -> None:
        task = await ProcessDriver(tmp_path / "state").start(spec(tmp_path, command))
        assert await task.wait() == 0

    asyncio.run(scenario())
    assert f"prefix {user_venv}\n" in (tmp_path / "logs" / "web-1-abc.log").read_text()


def test_a_task_that_cannot_be_started_is_a_platform_error_naming_why(tmp_path: Path) -> None:
    missing = tmp_path / "not-there"
    task = dataclasses.replace(spec(tmp_path, "true"), workdir=missing)

    async def scenario() -> None:
        with pytest.raises(PlatformError, match=f"web-1-abc could not start: .*{missing}"):
            await ProcessDriver(tmp_path / "state").start(task)

    asyncio.run(scenario())


CLOSES_SLOWLY = """\
import pathlib, signal, sys, time
def stop(*_):
    time.sleep(0.3)  # closing its streams
    pathlib.Path(sys.argv[1], "closed").write_text("")
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
pathlib.Path(sys.argv[1], "ready").write_text("")
while True:
    time.sleep(1)
"""


def test_stop_waits_for_the_app_under_the_shell_not_only_for_the_shell(tmp_path: Path) -> None:
    """`sh -c` leads the group and dies at SIGTERM at once; the app under it
    must still have its stop timeout to finish its shutdown."""
    app = tmp_path / "app.py"
    app.write_text(CLOSES_SLOWLY)

    async def scenario() -> None:
        driver = ProcessDriver(tmp_path / "state")
        task = await driver.start(spec(tmp_path, f"{sys.executable} {app} {tmp_path}; true"))
        for _ in range(500):
            if (tmp_path / "ready").exists():
                break
            await asyncio.sleep(0.02)
        else:
            raise AssertionError("the app never got ready")
        await task.stop(30.0)
        assert (tmp_path / "closed").exists(), "the app was killed while it shut down"

    asyncio.run(scenario())
