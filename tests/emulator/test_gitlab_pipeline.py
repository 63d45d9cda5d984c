"""The generated aws-codedeploy pipeline, its deploy job run by gitlab-ci-local
against the emulator: the job installs bluegreen from a package index (a
local one serving `make dist`'s wheel) into a Python that has no bluegreen,
deploys, gates on the emulated test listener, and passes; with a gate that
fails, the job fails and production stays on blue (issue 14's acceptance).

Only the deploy job runs here, its image given as BLUEGREEN_IMAGE; the
build job needs a Docker engine, and runs in tests/docker/test_emulator_pipeline.py,
pushing to the emulator's registry what deploy then runs. gitlab-ci-local's shell
executor stands in for the `python:3.12-slim` job image; the job's Python
is a clean virtualenv put first on PATH, as that image's python3 would be.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ..ci.harness import gitlab_ci_local
from ..packaging import PackageIndex, built_wheel, clean_venv, job_env, package_index
from .conftest import BLUEGREEN, Emulator
from .resources import Alb, wait_for
from .steady import SteadyClient
from .test_cli_codedeploy import setup

pytestmark = pytest.mark.slow


def git(repo: Path, *args: str) -> None:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture
def index(tmp_path: Path) -> Iterator[PackageIndex]:
    with package_index(built_wheel(), tmp_path / "index") as serving:
        yield serving


def repository(project_dir: Path) -> None:
    """The project as a repository with its generated pipeline; the task
    definition reads the version from the job's environment."""
    taskdef = project_dir / "taskdef.json"
    taskdef.write_text(taskdef.read_text().replace("<VERSION>", "${APP_VERSION}"))
    subprocess.run(
        [BLUEGREEN, "ci", "gitlab", str(project_dir), "--platform", "aws-codedeploy"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    (project_dir / ".gitignore").write_text(".gitlab-ci-local/\n.bluegreen/\n")
    git(project_dir, "init", "-q", "-b", "main")
    git(project_dir, "add", "-A")
    git(project_dir, "-c", "user.name=t", "-c", "user.email=t@127.0.0.1", "commit", "-qm", "v2")
    git(project_dir, "remote", "add", "origin", "git@127.0.0.1:demo-group/demo-project.git")


def job_variables(
    emulator: Emulator, alb: Alb, index: PackageIndex, **extra: str
) -> dict[str, str]:
    """What the tests set in the project's CI/CD settings; `extra` adds or overrides."""
    return {
        "AWS_ENDPOINT_URL": emulator.url,
        "AWS_ACCESS_KEY_ID": emulator.env["AWS_ACCESS_KEY_ID"],
        "AWS_SECRET_ACCESS_KEY": emulator.env["AWS_SECRET_ACCESS_KEY"],
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_MAX_ATTEMPTS": "1",
        "PIP_INDEX_URL": index.url,
        "APP_VERSION": "v2",
        "TEST_LB_DNS": alb.test_url,
        "BLUEGREEN_PROD_URL": alb.prod_url,
        "BLUEGREEN_AWS_POLL": "20ms",
        "BLUEGREEN_AWS_POLL_MAX": "50ms",
        "BLUEGREEN_AWS_TIMEOUT": "120s",
        **extra,
    }


def run_job(
    emulator: Emulator,
    project_dir: Path,
    job: str,
    variables: dict[str, str],
    venv_bin: Path,
    *options: str,
    path_first: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """One job of the pipeline in gitlab-ci-local's shell executor; `path_first`:
    a directory of stand-ins for what the job's image would have."""
    flags = [f"--variable={name}={value}" for name, value in variables.items()]
    command = [str(gitlab_ci_local()), "--force-shell-executor", *options, *flags, job]
    env = job_env(venv_bin, **{k: v for k, v in emulator.env.items() if k.startswith("AWS_")})
    if path_first is not None:
        env["PATH"] = f"{path_first}:{env['PATH']}"
    return subprocess.run(
        command, cwd=project_dir, env=env, capture_output=True, text=True, timeout=600
    )


def deploy_job(
    emulator: Emulator,
    project_dir: Path,
    alb: Alb,
    index: PackageIndex,
    venv_bin: Path,
    **extra: str,
) -> subprocess.CompletedProcess[str]:
    """The deploy job alone, its image given as BLUEGREEN_IMAGE (no build ran)."""
    variables = job_variables(emulator, alb, index, BLUEGREEN_IMAGE="web:v2", **extra)
    return run_job(emulator, project_dir, "deploy", variables, venv_bin)


def test_the_deploy_job_installs_bluegreen_deploys_and_gates(
    project_emulator: Emulator, project_dir: Path, index: PackageIndex, tmp_path: Path
) -> None:
    alb = setup(project_emulator, project_dir)
    repository(project_dir)
    venv_bin = clean_venv(tmp_path / "job-python")
    with SteadyClient(alb.prod_url) as steady:
        wait_for(lambda: len(steady.answers) > 10, "the steady client's first answers")
        done = deploy_job(project_emulator, project_dir, alb, index, venv_bin)
        log = done.stdout + done.stderr
        seen = len(steady.answers)
        wait_for(lambda: len(steady.answers) > seen + 10, "answers after the deployment")
    assert done.returncode == 0, log
    assert "PASS  deploy" in log, log
    assert index.served(built_wheel().name), "bluegreen came from the package index"
    assert (venv_bin / "bluegreen").exists(), "installed into the job's own Python"
    assert "validation passed" in log, log
    assert steady.failures == []
    assert steady.answers[0] == "v1" and steady.answers[-1] == "v2", steady.answers[-3:]
    assert httpx.get(alb.prod_url, timeout=10).text == "v2\n"


def test_a_failing_gate_fails_the_job_and_keeps_blue(
    project_emulator: Emulator, project_dir: Path, index: PackageIndex, tmp_path: Path
) -> None:
    alb = setup(project_emulator, project_dir)
    repository(project_dir)
    venv_bin = clean_venv(tmp_path / "job-python")
    done = deploy_job(
        project_emulator,
        project_dir,
        alb,
        index,
        venv_bin,
        BLUEGREEN_VALIDATION_COMMAND="exit 3",
    )
    log = done.stdout + done.stderr
    assert done.returncode == 1, log
    assert "FAIL  deploy" in log or ("deploy" in log and "FAIL" in log), log
    assert httpx.get(alb.prod_url, timeout=10).text == "v1\n"
