"""The emulator as users start it: `bluegreen aws emulate` in a subprocess, on a
free port, with a project whose tasks are the test app, stopped with SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest

BLUEGREEN = str(Path(sys.executable).parent / "bluegreen")
STARTUP = 60.0
TIME_SCALE = "0.01"


@dataclass
class Emulator:
    url: str
    process: subprocess.Popen[str]
    state_dir: Path
    env: dict[str, str]
    output: list[str] = field(default_factory=list)
    """What the emulator printed after it started (read as it comes, so it never blocks)."""

    def drain(self) -> None:
        assert self.process.stdout is not None
        thread = threading.Thread(target=self._read, daemon=True)
        thread.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="AKIAEMULATORTEST0000",
            aws_secret_access_key="emulator-test-secret",
        )

    def stop(self) -> int:
        """SIGTERM, as a user's Ctrl-C or a supervisor would; the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def aws_env(url: str, tmp_path: Path) -> dict[str, str]:
    """What a shell pointed at the emulator has: its endpoint, dummy credentials,
    no profile or proxy that could reach a real account."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "BLUEGREEN_"))}
    (tmp_path / "aws-config").write_text("")
    (tmp_path / "aws-credentials").write_text("")
    env.update(
        AWS_ENDPOINT_URL=url,
        AWS_ACCESS_KEY_ID="AKIAEMULATORTEST0000",
        AWS_SECRET_ACCESS_KEY="emulator-test-secret",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=str(tmp_path / "aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "aws-credentials"),
        HTTPS_PROXY="http://127.0.0.1:9",
        HTTP_PROXY="http://127.0.0.1:9",
        NO_PROXY="127.0.0.1,localhost",
    )
    return env


def start_emulator(tmp_path: Path, project_dir: Path | None = None, *extra: str) -> Emulator:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    state = tmp_path / "emulator-state"
    command = [BLUEGREEN, "aws", "emulate", "--port", str(port), "--state", str(state)]
    command += ["--time-scale", TIME_SCALE]
    if project_dir is not None:
        command += ["--project", str(project_dir)]
    command += extra
    env = aws_env(url, tmp_path)
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    assert process.stdout is not None
    for line in process.stdout:  # the line that says it serves, or the failure
        if line.startswith("AWS_ENDPOINT_URL="):
            break
    else:
        raise AssertionError(f"emulator did not start (exit {process.wait()})")
    running = Emulator(url, process, state, env)
    running.drain()
    return running


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[Emulator]:
    running = start_emulator(tmp_path)
    yield running
    assert running.stop() == 0


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    from .project import write_project

    return write_project(tmp_path / "app")


@pytest.fixture
def project_emulator(tmp_path: Path, project_dir: Path) -> Iterator[Emulator]:
    """An emulator whose tasks run the test app of `project_dir`."""
    running = start_emulator(tmp_path, project_dir)
    yield running
    assert running.stop() == 0
    assert leftover_tasks(running.state_dir) == []


def leftover_tasks(state_dir: Path) -> list[int]:
    """Task processes still alive after the emulator stopped (the process driver
    keeps one pid file per task under the state directory)."""
    alive = []
    for pid_file in (state_dir / "tasks").glob("*"):
        try:
            pid = int(pid_file.read_text().split()[0])
            os.kill(pid, 0)
        except (ValueError, IndexError, ProcessLookupError):
            continue
        alive.append(pid)
    return alive


@pytest.fixture
def backends() -> Iterator[dict[str, int]]:
    """Two backends (`/` answers their name), as processes."""
    started = {}
    processes = []
    for name in ("blue", "green"):
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.apps.lb_backend", "--name", name],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None
        started[name] = int(process.stdout.readline().strip())
        processes.append(process)
    yield started
    for process in processes:
        process.terminate()
        process.wait(timeout=30)
