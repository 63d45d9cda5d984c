"""A task that cannot be launched fails the deployment at once, with the driver's error
(not "not healthy within Ns" at the install timeout), and the next deploy works once the
cause is gone. The cause is real: green's log directory cannot be created, because
`.bluegreen/logs` is immutable (`chattr +i`, which stops root too)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from ..local.harness import make_project


def test_a_launch_error_fails_the_deployment_at_once_with_the_drivers_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APP_VERSION", "v1")
    project = make_project(tmp_path / "p")
    project.cli("up")
    logs = project.dir / ".bluegreen" / "logs"
    try:
        project.deploy_first()
        if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(logs)]).returncode:
            pytest.skip("chattr +i is not available here")
        try:
            os.environ["APP_VERSION"] = "v2"
            failed = project.cli("deploy", check=False)
        finally:
            subprocess.run(["chattr", "-i", str(logs)], check=True)
        assert failed.returncode == 1, failed
        assert "driver failed" in failed.stderr and "Operation not permitted" in failed.stderr
        assert "not healthy within" not in failed.stdout + failed.stderr
        assert project.version() == "v1"
        project.cli("deploy")
        assert project.version() == "v2"
    finally:
        project.cli("down")
