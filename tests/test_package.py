"""bluegreen as installed from its wheel, not from this checkout."""

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx
import pytest

from bluegreen import __version__
from bluegreen.ci import scripts

from .packaging import REPO, built_wheel, free_port, installed_by_the_pipeline, job_env

APP = REPO / "tests" / "apps" / "local_app.py"


def test_version_flag_prints_the_package_version():
    out = subprocess.run(
        [sys.executable, "-m", "bluegreen.cli", "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert __version__ in out.stdout


def test_unknown_command_is_a_usage_error():
    out = subprocess.run(
        [sys.executable, "-m", "bluegreen.cli", "no-such-command"], capture_output=True, text=True
    )
    assert out.returncode == 2
    assert "No such command" in out.stderr


@pytest.mark.slow
def test_the_wheel_holds_every_data_file_and_the_license():
    source = REPO / "src" / "bluegreen"
    data = {
        "bluegreen/" + path.relative_to(source).as_posix()
        for path in source.rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc")
    }
    assert {"bluegreen/local/dashboard.html", "bluegreen/spec/templates/taskdef.json"} <= data
    names = set(zipfile.ZipFile(built_wheel()).namelist())
    assert data <= names, f"missing from the wheel: {sorted(data - names)}"
    assert f"bluegreen-{__version__}.dist-info/licenses/LICENSE" in names


def run(bin_dir: Path, args: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        [str(bin_dir / "bluegreen"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"{args}: {done.stdout}{done.stderr}"
    return done.stdout


@pytest.mark.slow
def test_the_installed_wheel_runs_a_tiny_app_from_init_to_down(tmp_path):
    """init, validate, up, deploy, down from a clean virtualenv outside the
    repository, on an app with a Dockerfile and nothing else."""
    installed = installed_by_the_pipeline(scripts.INSTALL, f"bluegreen=={__version__}")
    app = tmp_path / "tiny-app"
    app.mkdir()
    (app / "app.py").write_text(APP.read_text())
    (app / "Dockerfile").write_text(
        'FROM python:3.12-slim\nCOPY app.py .\nEXPOSE 8000\nCMD ["python", "app.py"]\n'
    )
    prod = free_port()
    env = job_env(
        installed.bin,
        BLUEGREEN_LOCAL_PROD_PORT=str(prod),
        BLUEGREEN_LOCAL_TEST_PORT=str(free_port()),
        BLUEGREEN_LOCAL_DRIVER="process",
        BLUEGREEN_HEALTH_CHECK_INTERVAL="200ms",
        BLUEGREEN_HEALTH_CHECK_TIMEOUT="150ms",
        BLUEGREEN_DEPLOYMENT_TERMINATION_WAIT="0s",
    )
    assert "wrote" in run(installed.bin, ["init", "."], app, env)
    assert json.loads((app / "taskdef.json").read_text())["containerDefinitions"]
    run(installed.bin, ["validate", "."], app, env)
    try:
        assert "started" in run(installed.bin, ["up", "."], app, env)
        assert "Succeeded" in run(installed.bin, ["deploy", "."], app, env)
        answer = httpx.get(f"http://127.0.0.1:{prod}/", timeout=5)
        assert answer.status_code == 200 and answer.headers["X-App"] == "local_app"
    finally:
        stopped = run(installed.bin, ["down", "."], app, env)
    assert "stopped" in stopped
