"""The daemon's own life: up/down, its token, and recovery from SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from bluegreen.engine.events import EventKind
from bluegreen.local.recovery import rebuild
from bluegreen.local.store import Store
from bluegreen.state_dir import StateDir, pid_alive

from .harness import LoadGenerator, Project, events, make_project


def daemon_pid(project: Project) -> int:
    info = json.loads((project.dir / ".bluegreen" / "daemon.json").read_text())
    return int(info["pid"])


def test_sigkill_mid_deployment_recovers_the_stable_revision(
    start_platform: Callable[..., Project],
) -> None:
    project = start_platform(ready_wait="60s")
    project.deploy_first()
    blue_pids = task_pids(project)
    project.cli("deploy", "--set", "APP_VERSION=v2", "--no-wait")
    project.wait_for(lambda s: s["status"] == "Ready")
    green_pids = task_pids(project) - blue_pids
    assert len(blue_pids) == len(green_pids) == 2
    pid = daemon_pid(project)
    os.kill(pid, signal.SIGKILL)
    while pid_alive(pid):
        time.sleep(0.01)

    assert "started" in project.cli("up").stdout
    assert task_pids(project) == blue_pids, "blue's tasks are adopted, green's stopped"
    assert not [p for p in green_pids if pid_alive(p)], "green's tasks still run"
    with LoadGenerator(project.prod_url) as load:
        load.wait_for_answers(100)
    load.assert_no_failures()
    assert set(load.versions) == {"v1"}
    history = project.cli("history", "--output", "json").stdout
    interrupted, first = list(events(history))[:2]
    assert interrupted["status"] == "Failed" and "controller restarted" in interrupted["message"]
    assert "during ReadyWait" in interrupted["message"]
    assert replayed_matches_recorded(project, interrupted["deployment_id"])
    assert first["status"] == "Succeeded" and first["revision"] == "web:1"


def task_pids(project: Project) -> set[int]:
    return {int(p.read_text()) for p in (project.dir / ".bluegreen" / "tasks").glob("*.pid")}


def replayed_matches_recorded(project: Project, deployment_id: str) -> bool:
    """The recorded inputs rebuild the engine's own events exactly (the daemon's
    target events and the recovery's verdict are not the engine's)."""
    store = Store(project.dir / ".bluegreen" / "state.db")
    try:
        row = store.deployment(deployment_id)
        assert row is not None
        recorded = [e for _, e in store.events(deployment_id) if e.kind is not EventKind.TARGET]
        return rebuild(store, row).events == recorded[:-1]
    finally:
        store.close()


def test_up_twice_and_a_stale_daemon_file(start_platform: Callable[..., Project]) -> None:
    project = start_platform()
    assert "already running" in project.cli("up").stdout
    pid = daemon_pid(project)
    project.cli("down")
    assert not pid_alive(pid)
    assert "not running" in project.cli("down").stdout
    stale = project.dir / ".bluegreen" / "daemon.json"
    stale.write_text(json.dumps({"pid": pid, "port": 9}))
    assert "started" in project.cli("up").stdout
    assert daemon_pid(project) != pid


def test_admin_api_wants_the_token(start_platform: Callable[..., Project]) -> None:
    project = start_platform()
    state = StateDir.of(project.dir)
    assert state.token_file.stat().st_mode & 0o777 == 0o600
    info = state.read_info()
    assert info is not None
    assert httpx.get(f"{info.url}/api/deployments").status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert httpx.get(f"{info.url}/api/deployments", headers=wrong).status_code == 401
    right = {"Authorization": f"Bearer {state.token()}"}
    assert httpx.get(f"{info.url}/api/deployments", headers=right).status_code == 200
    page = httpx.get(f"{info.url}/")  # the dashboard: static, its data needs the token
    assert page.status_code == 200 and "/api/deployments" in page.text
    assert httpx.get(f"{info.url}/metrics").status_code == 401
    assert b"bluegreen" in httpx.get(f"{info.url}/metrics", headers=right).content


def test_commands_without_a_daemon_exit_4(tmp_path: Path) -> None:
    project = make_project(tmp_path / "idle")
    result = project.cli("deploy", check=False)
    assert result.returncode == 4
    assert "bluegreen up" in result.stderr
    assert not (tmp_path / "idle" / ".bluegreen" / "state.db").exists()


def test_bad_files_exit_2_and_start_nothing(tmp_path: Path) -> None:
    project = make_project(tmp_path / "broken")
    config = project.dir / "bluegreen.toml"
    config.write_text(config.read_text().replace('interval = "200ms"', 'interval = "soon"'))
    result = project.cli("up", check=False)
    assert result.returncode == 2
    assert "bluegreen.toml" in result.stderr and "interval" in result.stderr
    assert not (project.dir / ".bluegreen").exists()


def test_a_busy_port_is_reported_and_nothing_keeps_running(tmp_path: Path) -> None:
    project = make_project(tmp_path / "busy")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", project.prod_port))
        busy.listen()
        result = project.cli("up", check=False)
    assert result.returncode == 4
    assert f"cannot listen on 127.0.0.1:{project.prod_port}" in result.stderr
    assert StateDir.of(project.dir).read_info() is None


def test_down_mid_deployment_rolls_it_back_first(start_platform: Callable[..., Project]) -> None:
    project = start_platform(ready_wait="60s")
    project.deploy_first()
    project.cli("deploy", "--set", "APP_VERSION=v2", "--no-wait")
    project.wait_for(lambda s: s["status"] == "Ready")
    project.cli("down")
    history = project.cli("history", "--output", "json")  # read from state.db
    assert "daemon is down" in history.stderr
    assert next(events(history.stdout))["status"] == "Stopped"
    store = Store(project.dir / ".bluegreen" / "state.db")
    try:
        row = store.deployment()
        assert row is not None and row.status.value == "Stopped"
        messages = [e.message for _, e in store.events(row.id)]
    finally:
        store.close()
    assert any("shutting down" in m for m in messages)
    assert any(m.startswith("rolled back") for m in messages)
