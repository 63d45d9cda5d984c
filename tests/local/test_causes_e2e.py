"""A cause for every failure, as a user meets it through the real CLI, daemon,
tasks and load balancer: each health-check reason ALB gives (with our
detail) in `status` and in the deployment's events, and an app nobody here
wrote (the ECS tutorial's Flask app, which binds port 80 and ignores PORT)
failing at once with the port it listens on named, then deploying once
`[local] command` passes the port."""

from __future__ import annotations

import contextlib
import re
import shutil
import socket
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bluegreen.errors import UsageError

from .harness import Project, events, make_project

TUTORIAL_APP = Path(__file__).parents[1] / "apps" / "tutorial_flask.py"

REASONS = [
    ("health-404", "Target.ResponseCodeMismatch", "Health checks failed with these codes: [404]"),
    ("health-slow", "Target.Timeout", "no answer to GET /health within 150 ms"),
    ("no-listen", "Target.FailedHealthChecks", "connection refused"),
]


def edit(project: Project, old: str, new: str) -> None:
    config = project.dir / "bluegreen.toml"
    text = config.read_text()
    assert old in text, old
    config.write_text(text.replace(old, new))


def wait_for_deployment(project: Project, predicate: Callable[[dict[str, Any]], bool]) -> Any:
    """`project.wait_for`, once the deployment started in the background exists."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with contextlib.suppress(UsageError):  # "no deployments yet"
            return project.wait_for(predicate)
        time.sleep(0.1)
    raise AssertionError("the deployment never began")


def said(target: dict[str, str]) -> str:
    return f"{target.get('description', '')}; {target.get('detail', '')}"


@pytest.mark.parametrize(("mode", "code", "words"), REASONS)
def test_each_reason_is_seen_in_status_and_in_the_deployment_events(
    start_platform: Callable[..., Project], mode: str, code: str, words: str
) -> None:
    project = start_platform()
    edit(project, 'install_timeout = "20s"', 'install_timeout = "10s"')  # read per deployment
    deploy = project.start_cli("deploy", "--set", f"APP_MODE={mode}", "--output", "json")
    try:

        def green_has_reason(summary: dict[str, Any]) -> bool:
            targets = summary["details"].get("targets", [])
            return any(t["task_set"] == "green" and t.get("reason") == code for t in targets)

        summary = wait_for_deployment(project, green_has_reason)
        target = next(t for t in summary["details"]["targets"] if t.get("reason") == code)
        assert words in said(target), target
        shown = project.cli("status").stdout
        row = next(line for line in shown.splitlines() if target["target"] in line)
        assert re.search(rf"green\s+{re.escape(target['target'])}\s+unhealthy\s+{code}", row)
        assert words in row
    finally:
        out, err = deploy.communicate(timeout=60)
    assert deploy.returncode == 1, out + err
    told = [e["details"] for e in events(out) if e.get("kind") == "target"]
    assert any(d.get("reason") == code and words in said(d) for d in told), told
    assert re.search(rf"green not healthy within 10s: 127\.0\.0\.1:\d+ unhealthy \({code}", out)


def tutorial_port() -> int:
    """80, as the tutorial has it, when this user may bind it; else a free port
    hard-coded the same way (the defect is the same: PORT is ignored)."""
    with contextlib.closing(socket.socket()) as sock:
        try:
            sock.bind(("0.0.0.0", 80))
            return 80
        except OSError:
            sock.bind(("0.0.0.0", 0))
            return int(sock.getsockname()[1])


@contextlib.contextmanager
def tutorial_project(root: Path, port: int) -> Iterator[Project]:
    """A project around the tutorial's app.py, run as the tutorial says (`python app.py`);
    its health check asks `/`, the only route the app has."""
    project = make_project(root, command=f"{sys.executable} app.py")
    app = project.dir / "app.py"
    shutil.copy(TUTORIAL_APP, app)
    if port != 80:
        app.write_text(app.read_text().replace("port=80", f"port={port}"))
    edit(project, 'path = "/health"', 'path = "/"')
    try:
        yield project
    finally:
        project.cli("down", check=False)


def test_the_tutorial_flask_app_fails_at_once_naming_its_port_then_deploys_given_it(
    tmp_path: Path,
) -> None:
    port = tutorial_port()
    with tutorial_project(tmp_path / "tutorial", port) as project:
        project.cli("up")
        failed = project.cli("deploy", check=False)
        assert failed.returncode == 1, failed.stdout + failed.stderr
        assert re.search(
            rf"task \d listens on 0\.0\.0\.0:{port}, not on \$PORT=\d+; "
            r"set `\[local\] command` to pass the port, or read PORT",
            failed.stdout,
        ), failed.stdout
        assert "not healthy within" not in failed.stdout, "waited for the install timeout"
        project.cli("down")
        flask_run = f"{sys.executable} -m flask --app app run --host 127.0.0.1 --port $PORT"
        edit(project, f'command = "{sys.executable} app.py"', f'command = "{flask_run}"')
        project.cli("up")
        project.cli("deploy")
        assert httpx.get(project.prod_url, timeout=5).text == "Hello World!"
