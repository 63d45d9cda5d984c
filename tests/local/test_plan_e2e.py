"""`bluegreen plan` through the real CLI against a real local deployment: it
names exactly what changed (image, environment, settings, files), nothing for
an unchanged project, masks secret values, changes nothing itself, and works
with the daemon down."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .harness import APP, Project

APP_PY = 'print("the app file, version {version}")\n'


def plan(project: Project, *args: str) -> tuple[int, str]:
    result = project.cli("plan", *args, check=False)
    assert result.returncode in (0, 5), result.stderr
    return result.returncode, result.stdout


def plan_json(project: Project, *args: str) -> Any:
    _, out = plan(project, "--output", "json", *args)
    return json.loads(out)


def fields(changes: object) -> list[str]:
    assert isinstance(changes, list)
    return [change["field"] for change in changes]


def edit_taskdef(project: Project, edit: Callable[[dict[str, object]], None]) -> None:
    path = project.dir / "taskdef.json"
    taskdef = json.loads(path.read_text())
    edit(taskdef)
    path.write_text(json.dumps(taskdef))


def environment(taskdef: dict[str, object]) -> list[dict[str, str]]:
    containers = taskdef["containerDefinitions"]
    assert isinstance(containers, list)
    env: list[dict[str, str]] = containers[0]["environment"]
    return env


def test_plan_before_the_first_deploy_says_everything_is_new(
    start_platform: Callable[..., Project],
) -> None:
    project = start_platform()
    code, out = plan(project)
    assert code == 5
    assert "live: nothing deployed yet" in out
    assert "first deployment" in out
    assert "+0s  production 100 % on green" in out


def test_plan_names_exactly_what_changed_and_nothing_when_unchanged(
    start_platform: Callable[..., Project],
) -> None:
    project = start_platform(termination_wait="1s")
    project.deploy_first()
    code, out = plan(project)
    assert (code, "no changes: a deploy would run web:1 again" in out) == (0, True), out

    # The image, as `deploy --set`/a placeholder would change it.
    result = plan_json(project, "--set", "APP_VERSION=v2")
    assert result["changes"] is True
    assert fields(result["task_definition"]) == ["web.environment.APP_VERSION"]
    assert result["task_definition"] == [
        {"field": "web.environment.APP_VERSION", "kind": "changed", "before": "v1", "after": "v2"}
    ]

    # An environment entry added, with a secret name: its value is never shown.
    def add_secret(taskdef: dict[str, object]) -> None:
        environment(taskdef).append({"name": "DB_PASSWORD", "value": "hunter2-never-shown"})

    edit_taskdef(project, add_secret)
    code, out = plan(project)
    assert code == 5
    assert "+ web.environment.DB_PASSWORD: (hidden)" in out
    assert "hunter2" not in out

    # A setting, in bluegreen.toml's own names, and the schedule with its times.
    config = project.dir / "bluegreen.toml"
    config.write_text(
        config.read_text().replace('termination_wait = "1s"', 'termination_wait = "7s"')
    )
    result = plan_json(project)
    assert {
        "field": "deployment.termination_wait",
        "kind": "changed",
        "before": "1s",
        "after": "7s",
    } in result["settings"]
    schedule = [moment["what"] for moment in result["schedule"]]
    assert "production 20 % on green" in schedule
    assert "blue terminated (termination_wait 7s)" in schedule
    ats = {m["what"]: m["at"] for m in result["schedule"]}
    assert ats["production 100 % on green"] == 1.0
    assert ats["blue terminated (termination_wait 7s)"] == 8.0


def test_plan_names_the_app_files_a_deploy_would_snapshot(
    start_platform: Callable[..., Project],
) -> None:
    project = start_platform(command=f"{sys.executable} {APP}")
    (project.dir / "app.py").write_text(APP_PY.format(version=1))
    project.deploy_first()
    assert plan(project)[0] == 0
    (project.dir / "app.py").write_text(APP_PY.format(version=2))
    (project.dir / "new_module.py").write_text("VALUE = 1\n")
    result = plan_json(project)
    assert [(c["field"], c["kind"]) for c in result["files"]] == [
        ("file app.py", "changed"),
        ("file new_module.py", "added"),
    ]
    assert result["task_definition"] == []


def test_plan_changes_nothing_and_reads_the_state_with_the_daemon_down(
    start_platform: Callable[..., Project],
) -> None:
    project = start_platform()
    project.deploy_first()
    state = project.dir / ".bluegreen" / "state.db"
    before = _files(project.dir / ".bluegreen")
    plan(project, "--set", "APP_VERSION=v9")
    assert _files(project.dir / ".bluegreen") == before
    assert project.status()["revision"] == "web:1"
    project.cli("down")
    left = sorted(path.name for path in (project.dir / ".bluegreen").iterdir())
    code, out = plan(project, "--set", "APP_VERSION=v9")
    assert sorted(path.name for path in (project.dir / ".bluegreen").iterdir()) == left
    assert (code, "~ web.environment.APP_VERSION: v1 -> v9" in out) == (5, True), out
    assert state.is_file()


def _files(root: Path) -> dict[str, tuple[int, float]]:
    """The store and the snapshots, each file with its size and modification time
    (task logs and the daemon's log grow on their own)."""
    return {
        str(path.relative_to(root)): (path.stat().st_size, path.stat().st_mtime)
        for path in sorted(root.rglob("*"))
        if path.is_file() and (path.name.startswith("state.db") or "snapshots" in path.parts)
    }
