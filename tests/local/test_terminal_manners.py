"""What a user sees from `deploy` when things go wrong around it: Ctrl-C, a
daemon that dies under `--timeout`, a failing hook in a first deployment,
output read through a pipe. The real CLI in subprocesses, a real daemon."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable

from bluegreen.state_dir import StateDir

from .harness import CLI_TIMEOUT, Project

FAILING_HOOK = '[hooks]\nAfterInstall = "echo hook-said-first; echo hook-said-last; exit 3"\n'


def _started(project: Project, *args: str) -> subprocess.Popen[str]:
    """`deploy ARGS` running, once its output says production traffic moved."""
    deploy = project.start_cli("deploy", "--set", "APP_VERSION=v2", *args)
    assert deploy.stdout is not None
    for line in deploy.stdout:
        if "[traffic] production traffic" in line:
            return deploy
    deploy.kill()
    raise AssertionError(f"deploy ended before shifting traffic: {deploy.communicate()}")


def test_ctrl_c_on_deploy_says_the_deployment_goes_on_and_exits_130(
    start_platform: Callable[..., Project],
) -> None:
    project = start_platform(canary="60s")
    project.deploy_first()
    deploy = _started(project)
    deploy.send_signal(signal.SIGINT)
    _, stderr = deploy.communicate(timeout=CLI_TIMEOUT)
    assert deploy.returncode == 130, stderr
    assert "goes on" in stderr and "Traceback" not in stderr
    assert f"bluegreen status --watch {project.dir}" in stderr
    assert f"bluegreen stop {project.dir}" in stderr
    assert project.status()["status"] == "InProgress"
    project.cli("stop")


def test_a_daemon_dying_under_timeout_is_an_error_line_not_a_traceback(
    start_platform: Callable[..., Project],
) -> None:
    project = start_platform(canary="60s")
    project.deploy_first()
    deploy = _started(project, "--timeout", "5m")
    info = StateDir.of(project.dir).read_info()
    assert info is not None
    os.kill(info.pid, signal.SIGKILL)
    _, stderr = deploy.communicate(timeout=CLI_TIMEOUT)
    assert deploy.returncode == 4, stderr
    assert stderr.startswith("error: ") and "Traceback" not in stderr
    project.cli("up")  # kills the tasks the dead daemon left; the fixture's down stops it


def test_a_failed_first_deployment_prints_the_hook_output_once_in_whole_lines(
    start_platform: Callable[..., Project],
) -> None:
    project = start_platform(extra=FAILING_HOOK)
    result = project.cli("deploy", check=False)
    assert result.returncode == 1, result.stderr
    both = result.stdout + result.stderr
    assert both.count("hook-said-first") == 1 and both.count("hook-said-last") == 1
    verdict = result.stdout.strip().splitlines()[-1]
    assert verdict.startswith("Failed  d-") and len(verdict) > 80  # a pipe: no wrap at 80
    assert verdict.endswith("AfterInstall hook failed: exited 3")
    assert "all traffic on blue" not in both, "there is no blue in a first deployment"
    assert "this was the first deployment, so nothing serves yet" in both
    history = project.cli("history").stdout
    (row,) = [line for line in history.splitlines() if "Failed" in line]
    assert "green 0%" in row and "100/0" not in row
