"""Test harness for the local platform: a project on free ports, the real CLI
in subprocesses, and a load generator through the production listener.

A failed request is a connection error or a 5xx the app did not produce
(the app marks its answers with `X-App`); the tests assert there are none.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bluegreen.local.local_platform import LocalPlatform
from bluegreen.spec.project import load_project
from bluegreen.state_dir import pid_alive

from ..appspec import APPSPEC

APP = Path(__file__).parents[1] / "apps" / "local_app.py"
CLI_TIMEOUT = 90

TASKDEF = {
    "family": "web",
    "containerDefinitions": [
        {
            "name": "web",
            "image": "local/web:dev",
            "essential": True,
            "portMappings": [{"containerPort": 8000}],
            "stopTimeout": 2,
            "environment": [
                {"name": "APP_VERSION", "value": "${APP_VERSION:-v1}"},
                {"name": "APP_MODE", "value": "${APP_MODE:-ok}"},
                {"name": "APP_UNHEALTHY_FILE", "value": "${APP_UNHEALTHY_FILE:-/nonexistent}"},
            ],
        }
    ],
}

CONFIG = """\
[service]
name = "web"
desired_count = 2
container = "web"
container_port = 8000

[health_check]
path = "/health"
interval = "200ms"
timeout = "150ms"
healthy_threshold = 2
unhealthy_threshold = 3

[deployment]
config = {{ type = "canary", percent = 20, interval = "{canary}" }}
ready_wait = "{ready_wait}"
termination_wait = "{termination_wait}"
install_timeout = "20s"
hook_timeout = "10s"
alarms = {{ error_rate = 0.2, window = "1s", min_requests = 5 }}

[validation]
path = "/health"
consecutive_successes = 2
interval = "50ms"
deadline = "10s"

[local]
command = "{command}"
prod_port = {prod_port}
test_port = {test_port}
deregistration_delay = "300ms"
{extra}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Project:
    dir: Path
    prod_port: int
    test_port: int

    @property
    def prod_url(self) -> str:
        return f"http://127.0.0.1:{self.prod_port}/"

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """`bluegreen ARGS DIR` as a user runs it; raises on an unexpected exit code."""
        command = [sys.executable, "-m", "bluegreen.cli", args[0], str(self.dir), *args[1:]]
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=CLI_TIMEOUT, env=os.environ.copy()
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"{command} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
            )
        return result

    def start_cli(self, *args: str) -> subprocess.Popen[str]:
        command = [sys.executable, "-m", "bluegreen.cli", args[0], str(self.dir), *args[1:]]
        return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def deploy_first(self) -> None:
        """The first revision, through a ready wait if the project has one."""
        self.cli("deploy", "--no-wait")
        summary = self.wait_for(lambda s: s["status"] in ("Ready", "Succeeded"))
        if summary["status"] == "Ready":
            self.cli("continue")
            self.wait_for(lambda s: s["status"] == "Succeeded")

    def status(self) -> dict[str, Any]:
        """The newest deployment, through the Python API (cheaper than a CLI process)."""
        return LocalPlatform(load_project(self.dir)).status().to_dict()

    def wait_for(self, predicate: Any, timeout: float = 30.0) -> dict[str, Any]:
        """Poll `status` until `predicate(summary)` holds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            summary = self.status()
            if predicate(summary):
                return summary
            time.sleep(0.1)
        raise AssertionError(f"condition not reached; last status {summary}")

    def version(self) -> str:
        return httpx.get(self.prod_url, timeout=5).text.strip()

    def crash_and_up(self) -> None:
        """SIGKILL the daemon (the controller), then `up` again: the runtime kept serving,
        and a new controller adopts it."""
        pid = int(json.loads((self.dir / ".bluegreen" / "daemon.json").read_text())["pid"])
        os.kill(pid, signal.SIGKILL)
        while pid_alive(pid):
            time.sleep(0.01)
        assert "started" in self.cli("up").stdout

    def versions_served(self, answers: int = 50) -> set[str]:
        """What `answers` requests under load were answered with, none failing."""
        with LoadGenerator(self.prod_url) as load:
            load.wait_for_answers(answers)
        load.assert_no_failures()
        return set(load.versions)


def make_project(
    root: Path,
    *,
    canary: str = "1s",
    ready_wait: str = "0s",
    termination_wait: str = "0s",
    extra: str = "",
    command: str = "",
) -> Project:
    root.mkdir(parents=True, exist_ok=True)
    project = Project(root, free_port(), free_port())
    config = CONFIG.format(
        canary=canary,
        ready_wait=ready_wait,
        termination_wait=termination_wait,
        command=command or f"{sys.executable} {APP}",
        prod_port=project.prod_port,
        test_port=project.test_port,
        extra=extra,
    )
    (root / "bluegreen.toml").write_text(config)
    (root / "taskdef.json").write_text(json.dumps(TASKDEF))
    (root / "appspec.yaml").write_text(APPSPEC)
    return project


@dataclass
class LoadGenerator:
    """Light, steady requests through the production listener from two threads."""

    url: str
    pause: float = 0.01
    results: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    versions: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._answered = threading.Condition(self._lock)
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(2)]

    def __enter__(self) -> LoadGenerator:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)

    def _run(self) -> None:
        with httpx.Client(timeout=10) as client:
            while not self._stop.is_set():
                self._one(client)
                time.sleep(self.pause)

    def _one(self, client: httpx.Client) -> None:
        try:
            response = client.get(self.url)
        except httpx.HTTPError as exc:
            self._note("failed", f"{type(exc).__name__}: {exc}")
            return
        if response.status_code >= 500 and response.headers.get("X-App") != "local_app":
            self._note("failed", f"{response.status_code} from the load balancer")
        elif response.status_code >= 500:
            self._note("app_5xx")
        else:
            self._note("ok", version=response.text.strip())

    def _note(self, result: str, failure: str | None = None, version: str | None = None) -> None:
        with self._lock:
            self.results[result] += 1
            if failure:
                self.failures.append(failure)
            if version:
                self.versions[version] += 1
            self._answered.notify_all()

    def wait_for_answers(self, count: int, timeout: float = 30.0) -> None:
        """Block until `count` requests got an answer (a load, not a time, to judge by)."""
        with self._answered:
            if not self._answered.wait_for(lambda: self.results.total() >= count, timeout):
                raise AssertionError(f"only {self.results.total()} answers in {timeout:g}s")

    def assert_no_failures(self) -> None:
        assert self.results["ok"] > 20, f"too little load to say anything: {self.results}"
        assert not self.failures, f"{len(self.failures)} failed requests: {self.failures[:5]}"


def events(stdout: str) -> Iterator[dict[str, Any]]:
    """The JSON objects in `--output json` output, one per line."""
    for line in stdout.splitlines():
        if line.startswith("{"):
            yield json.loads(line)
