"""Production outlives the control plane: SIGKILL of the controller (the daemon:
engine, store, API, hooks) at each stage of a deployment costs no request,
and the next command finds a consistent state: a new controller adopts the
runtime's blue tasks (same pids), stops green and records the deployment as
failed with where it was. SIGKILL of the runtime itself is recovered by the
controller, which starts a new one and the stable revision in it; the
connections made meanwhile wait in the listening sockets' queue (the
controller holds them) and are answered, not refused."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from bluegreen.local.local_platform import LocalPlatform
from bluegreen.spec.project import load_project
from bluegreen.state_dir import StateDir, pid_alive

from .harness import LoadGenerator, Project, events

ANSWERS_WITHOUT_CONTROLLER = 60
"""Requests answered while no controller runs, before the next command."""


def task_pids(project: Project) -> set[int]:
    return {int(p.read_text()) for p in (project.dir / ".bluegreen" / "tasks").glob("*.pid")}


def sigkill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
    while pid_alive(pid):
        time.sleep(0.01)


def live(project: Project) -> dict[str, Any]:
    """The daemon's view of the deployment in flight (phase, weights)."""
    platform = LocalPlatform(load_project(project.dir))
    deployment_id = project.status()["deployment_id"]
    return dict(platform.now(deployment_id) or {})


def wait_for_phase(project: Project, phase: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (live(project).get("deployment") or {}).get("phase") == phase:
            return
        time.sleep(0.05)
    raise AssertionError(f"the deployment never reached {phase}: {live(project)}")


def serves(project: Project) -> bool:
    try:
        return httpx.get(project.prod_url, timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def first_revision(project: Project) -> None:
    """v1, all at once, through the ready and termination waits the project has."""
    project.cli("deploy", "--config", "CodeDeployDefault.ECSAllAtOnce", "--no-wait")
    deadline = time.monotonic() + 60
    while (status := project.status())["status"] != "Succeeded":
        assert time.monotonic() < deadline, f"v1 never succeeded: {status}"
        phase = (live(project).get("deployment") or {}).get("phase")
        if phase in ("ReadyWait", "TerminationWait"):
            project.cli("continue", check=False)
        time.sleep(0.05)


CASES = {
    # green never turns healthy (its /health answers 503 while the file exists)
    "Install": ({}, ["--set", "APP_UNHEALTHY_FILE={unhealthy}"]),
    # the test listener on green, waiting for `continue`
    "ReadyWait": ({"ready_wait": "60s"}, []),
    # production 80 % blue / 20 % green
    "AllowTraffic": ({"canary": "60s"}, []),
    # production all on green, blue kept for the wait
    "TerminationWait": ({"termination_wait": "60s"}, []),
}


@pytest.mark.parametrize("phase", list(CASES))
def test_sigkill_of_the_controller_costs_no_request(
    start_platform: Callable[..., Project], phase: str
) -> None:
    options, deploy_args = CASES[phase]
    project = start_platform(**options)
    first_revision(project)
    blue = task_pids(project)
    unhealthy = project.dir / "unhealthy"
    unhealthy.touch()
    args = [a.format(unhealthy=unhealthy) for a in deploy_args]
    state = StateDir.of(project.dir)
    with LoadGenerator(project.prod_url) as load:
        project.cli("deploy", "--set", "APP_VERSION=v2", *args, "--no-wait")
        wait_for_phase(project, phase)
        green = task_pids(project) - blue
        controller = state.read_info()
        assert controller is not None and len(green) == 2
        sigkill(controller.pid)
        seen = load.results.total()
        load.wait_for_answers(seen + ANSWERS_WITHOUT_CONTROLLER)
        # The next command that needs the daemon starts a controller, which adopts.
        next_command = ("up",) if phase != "AllowTraffic" else ("status",)
        project.cli(*next_command)
        load.wait_for_answers(load.results.total() + 20)
    load.assert_no_failures()

    assert task_pids(project) == blue, "blue's tasks are adopted, not restarted"
    assert not [p for p in green if pid_alive(p)], "green's tasks still run"
    newest = next(events(project.cli("history", "--output", "json").stdout))
    assert newest["status"] == "Failed", newest
    assert f"during {phase}" in newest["message"] and "back on blue" in newest["message"]
    assert project.versions_served() == {"v1"}
    result = project.cli("down")
    assert "stopped" in result.stdout
    assert state.runtime_pid() is None and not task_pids(project)


@pytest.mark.parametrize("controller", ["the first", "one that adopted the runtime"])
def test_sigkill_of_the_runtime_is_recovered_by_the_controller(
    controller: str, start_platform: Callable[..., Project]
) -> None:
    project = start_platform()
    first_revision(project)
    state = StateDir.of(project.dir)
    if controller != "the first":  # it takes the sockets from the runtime it finds
        info = state.read_info()
        assert info is not None
        sigkill(info.pid)
        project.cli("up")
    for crash in (1, 2):  # the second: the controller recovers again, and again holds them
        runtime = state.runtime_pid()
        assert runtime is not None
        before = task_pids(project)
        with LoadGenerator(project.prod_url) as load:
            load.wait_for_answers(50)
            sigkill(runtime)
            deadline = time.monotonic() + 60
            while not serves(project):
                assert time.monotonic() < deadline, f"production never served after crash {crash}"
                time.sleep(0.05)
            load.wait_for_answers(load.results.total() + 50)
        # The controller holds the listening sockets: a connection made while no
        # runtime ran waits in the queue and is answered by the next one. Only a
        # request in flight on a connection to the dead runtime (one a thread) fails.
        refused = [f for f in load.failures if "ConnectError" in f]
        assert not refused and len(load.failures) <= 2, (crash, load.failures)
        now = state.runtime_pid()
        assert now not in (None, runtime)
        assert project.versions_served(answers=30) == {"v1"}, "the stable revision serves again"
        assert not [p for p in before if pid_alive(p)], "the dead runtime's tasks were killed"
    project.cli("down")
    assert now is not None and not pid_alive(now)
