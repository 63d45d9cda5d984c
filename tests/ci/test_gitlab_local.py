"""The generated `--platform local` pipeline, run end to end by gitlab-ci-local
(shell executor: the jobs have no `image:`) against the real local platform.

A temp git repository holds a copy of the example app. A first pipeline
starts the daemon and deploys v1; the second deploys v2 blue/green and its
verify job checks that the production listener serves v2; then a broken
commit makes the pipeline fail and v2 keeps serving. The jobs run in the
repository itself, as a shell runner reusing its checkout does, so every
pipeline reaches the same daemon.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .harness import BIN, REPO, gitlab_ci_local

pytestmark = pytest.mark.slow

# seconds, not the example's minutes: the gate is the same, the waits shorter
FAST = {
    "BLUEGREEN_DEPLOYMENT_CONFIG": '{"type": "canary", "percent": 50, "interval": "1s"}',
    "BLUEGREEN_DEPLOYMENT_TERMINATION_WAIT": "0s",
    "BLUEGREEN_DEPLOYMENT_INSTALL_TIMEOUT": "8s",
    "BLUEGREEN_VALIDATION_DEADLINE": "8s",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def sh(command: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{command}: {done.stdout}{done.stderr}"
    return done.stdout


def commit(repo: Path, env: dict[str, str], message: str) -> None:
    sh(["git", "add", "-A"], repo, env)
    sh(
        ["git", "-c", "user.name=t", "-c", "user.email=t@127.0.0.1", "commit", "-qm", message],
        repo,
        env,
    )


@pytest.fixture
def env() -> dict[str, str]:
    prod, test = free_port(), free_port()
    return {
        **os.environ,
        **FAST,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "BLUEGREEN_LOCAL_PROD_PORT": str(prod),
        "BLUEGREEN_LOCAL_TEST_PORT": str(test),
        "NO_PROXY": "127.0.0.1,localhost",
    }


@pytest.fixture
def repo(tmp_path: Path, env: dict[str, str]) -> Iterator[Path]:
    """The example app in its own repository with its generated pipeline;
    the daemon the pipeline starts is stopped afterwards, pass or fail."""
    root = tmp_path / "repo"
    shutil.copytree(REPO / "examples" / "flask-app", root)
    (root / ".gitlab-ci.yml").unlink()
    (root / ".gitignore").write_text(".bluegreen/\n.gitlab-ci-local/\n__pycache__/\n")
    sh(["git", "init", "-q", "-b", "main"], root, env)
    sh([str(BIN / "bluegreen"), "ci", "gitlab", ".", "--platform", "local"], root, env)
    commit(root, env, "v1")
    sh(["git", "remote", "add", "origin", "git@127.0.0.1:demo-group/demo-project.git"], root, env)
    sh(["git", "update-ref", "refs/remotes/origin/main", "HEAD"], root, env)
    try:
        yield root
    finally:
        subprocess.run([str(BIN / "bluegreen"), "down", "."], cwd=root, env=env, timeout=120)


def pipeline(repo: Path, env: dict[str, str], version: str) -> subprocess.CompletedProcess[str]:
    variables = {
        "BLUEGREEN_LOCAL_PROD_PORT": env["BLUEGREEN_LOCAL_PROD_PORT"],
        "BLUEGREEN_LOCAL_TEST_PORT": env["BLUEGREEN_LOCAL_TEST_PORT"],
        "APP_VERSION": version,
        "BLUEGREEN_VERIFY_EXPECT": f"version {version}",
    }
    flags = [f"--variable={name}={value}" for name, value in variables.items()]
    return subprocess.run(
        [str(gitlab_ci_local()), *flags],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


def production(env: dict[str, str]) -> str:
    return httpx.get(f"http://127.0.0.1:{env['BLUEGREEN_LOCAL_PROD_PORT']}/", timeout=5).text


def test_the_pipeline_deploys_blue_green_and_a_broken_app_fails_it(
    repo: Path, env: dict[str, str]
) -> None:
    first = pipeline(repo, env, "v1")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "bluegreen started for ." in first.stdout, "the deploy job started the daemon"
    assert "version v1" in production(env)

    run = pipeline(repo, env, "v2")
    log = run.stdout + run.stderr
    assert run.returncode == 0, log
    for job in ("build", "deploy", "verify"):
        assert f"PASS  {job}" in log, log
    assert "verified: 3 good answers in a row" in log
    assert "blue 50% green 50%" in log, "a canary step, not a swap"
    assert "version v2" in production(env)
    deployment_id = (repo / "bluegreen.env").read_text().splitlines()[0].split("=", 1)[1]
    assert f"Succeeded  {deployment_id}" in log, "the dotenv report names this deployment"
    assert 'failures="0"' in (repo / "bluegreen-validation.xml").read_text()

    (repo / "app.py").write_text('raise SystemExit("broken build")\n')
    commit(repo, env, "broken")
    run = pipeline(repo, env, "v3")
    log = run.stdout + run.stderr
    assert run.returncode == 1, log
    assert "FAIL  deploy" in log and "verify   starting" not in log, log
    assert "rolled back" in log
    assert all("version v2" in production(env) for _ in range(10))
    junit = (repo / "bluegreen-validation.xml").read_text()
    assert 'failures="1"' in junit and "green not healthy" in junit
