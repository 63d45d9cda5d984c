"""Every deploy runs what its files say now; what the running platform cannot
apply is refused, never kept silently.

The project's own `app.py` answers `/` with its first argument and `200` on
one health route only (404 elsewhere), printing each path it was asked other
than `/`, so a task's log shows where the health checker probed it. The tests
edit `bluegreen.toml`, `app.py` and a hook script between deploys, as a
developer does, through the real CLI, daemon, tasks and load balancer.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from .harness import LoadGenerator, Project
from .test_snapshots_e2e import deployed_revision

APP_PY = """\
import signal, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import os

HEALTH = {health!r}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        if self.path == "/":
            status, text = 200, sys.argv[1]
        else:
            print("asked", self.path, flush=True)
            status, text = (200, "ok") if self.path == HEALTH else (404, "no such route")
        body = (text + "\\n").encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-App", "local_app")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
"""


def write_app(project: Project, health: str = "/health") -> None:
    (project.dir / "app.py").write_text(APP_PY.format(health=health))


def command(answer: str) -> str:
    return f"{sys.executable} app.py {answer}"


def start_app(start_platform: Callable[..., Project], extra: str = "") -> Project:
    project = start_platform(canary="200ms", command=command("one"), extra=extra)
    write_app(project)
    return project


def edit_config(project: Project, old: str, new: str) -> None:
    path = project.dir / "bluegreen.toml"
    text = path.read_text()
    assert old in text, (old, text)
    path.write_text(text.replace(old, new))


def asked(project: Project, revision: str) -> set[str]:
    """The paths other than `/` that the tasks of `revision` were asked."""
    logs = project.dir / ".bluegreen" / "logs" / revision.replace(":", "-")
    lines = "".join(p.read_text() for p in logs.glob("*.log")).splitlines()
    return {found[1] for line in lines if (found := re.search(r"\basked (\S+)", line))}


def test_an_edited_command_runs_from_the_next_deploy_and_rollback_runs_the_old_one(
    start_platform: Callable[..., Project],
) -> None:
    project = start_app(start_platform)
    assert deployed_revision(project, "deploy") == "web:1"
    assert project.version() == "one"
    edit_config(project, command("one"), command("two"))
    assert deployed_revision(project, "deploy") == "web:2"
    assert project.version() == "two"
    with LoadGenerator(project.prod_url) as load:
        assert deployed_revision(project, "rollback") == "web:1"
    load.assert_no_failures()
    assert project.version() == "one"  # web:1's command, not the file's


def test_the_restore_after_a_crash_runs_the_stable_revisions_command_not_the_files(
    start_platform: Callable[..., Project],
) -> None:
    project = start_app(start_platform)
    assert deployed_revision(project, "deploy") == "web:1"
    edit_config(project, command("one"), command("two"))  # edited, not deployed
    project.crash_and_up()
    assert project.versions_served() == {"one"}


def test_an_edited_health_path_checks_green_there_and_blue_on_its_own(
    start_platform: Callable[..., Project],
) -> None:
    project = start_app(start_platform)
    assert deployed_revision(project, "deploy") == "web:1"
    write_app(project, health="/ready")
    edit_config(project, 'path = "/health"', 'path = "/ready"')  # health check and gate
    edit_config(project, command("one"), command("two"))
    with LoadGenerator(project.prod_url) as load:
        assert deployed_revision(project, "deploy") == "web:2"
    load.assert_no_failures()
    assert project.version() == "two"
    assert asked(project, "web:2") == {"/ready"}
    assert asked(project, "web:1") == {"/health"}  # blue kept its own check throughout
    with LoadGenerator(project.prod_url) as load:
        assert deployed_revision(project, "rollback") == "web:1"
    load.assert_no_failures()
    assert project.version() == "one"
    assert asked(project, "web:1") == {"/health"}  # web:1's check, not the file's


def test_an_edited_port_or_driver_is_refused_naming_each_field_and_nothing_changes(
    start_platform: Callable[..., Project],
) -> None:
    project = start_app(start_platform)
    assert deployed_revision(project, "deploy") == "web:1"
    before = project.status()
    new_port = project.prod_port + 1 if project.prod_port < 65535 else project.prod_port - 1
    edit_config(project, f"prod_port = {project.prod_port}", f"prod_port = {new_port}")
    edit_config(project, "[local]\n", '[local]\ndriver = "docker"\n')
    edit_config(project, command("one"), command("two"))
    for verb in ("deploy", "rollback", "up"):
        refused = project.cli(verb, check=False)
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert (
            f"local.prod_port is {project.prod_port} on the running platform, "
            f"{new_port} in bluegreen.toml"
        ) in refused.stderr
        assert 'local.driver is "process" on the running platform, "docker"' in refused.stderr
        assert "`bluegreen down && bluegreen up`" in refused.stderr
    planned = project.cli("plan", check=False)
    assert planned.returncode == 2, planned.stdout + planned.stderr
    assert "a deploy would be refused: the running platform cannot apply" in planned.stdout
    assert f"local.prod_port is {project.prod_port}" in planned.stdout
    assert project.status() == before
    assert project.version() == "one"  # still served, on the running port
    edit_config(project, f"prod_port = {new_port}", f"prod_port = {project.prod_port}")
    edit_config(project, 'driver = "docker"\n', "")
    assert "already running" in project.cli("up").stdout  # nothing left to refuse


HOOK = "echo {answer} >> {log}\n"


def test_a_rollback_runs_the_hook_script_of_the_revision_it_returns_to(
    start_platform: Callable[..., Project], tmp_path: Path
) -> None:
    ran = tmp_path / "hook-ran.txt"
    project = start_app(start_platform, extra='\n[hooks]\nAfterInstall = "sh hooks/after.sh"')
    (project.dir / "hooks").mkdir()
    script = project.dir / "hooks" / "after.sh"
    script.write_text(HOOK.format(answer="one", log=ran))
    assert deployed_revision(project, "deploy") == "web:1"
    script.write_text(HOOK.format(answer="two", log=ran))
    assert deployed_revision(project, "deploy") == "web:2"
    result = project.cli("rollback", "--output", "json")
    assert project.status()["revision"] == "web:1"
    assert ran.read_text().split() == ["one", "two", "one"]
    assert "AfterInstall hook runs in the revision's snapshot" in result.stdout


def test_a_rollback_runs_the_smoke_command_of_the_revision_it_returns_to(
    start_platform: Callable[..., Project], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`[validation] command` runs from the revision's snapshot, as hooks do."""
    ran = tmp_path / "smoke-ran.txt"
    monkeypatch.setenv("BLUEGREEN_VALIDATION_COMMAND", "sh smoke.sh")
    project = start_app(start_platform)
    script = project.dir / "smoke.sh"
    script.write_text(HOOK.format(answer="one", log=ran))
    assert deployed_revision(project, "deploy") == "web:1"
    script.write_text(HOOK.format(answer="two", log=ran))
    assert deployed_revision(project, "deploy") == "web:2"
    project.cli("rollback")
    assert project.status()["revision"] == "web:1"
    assert ran.read_text().split() == ["one", "two", "one"]
