"""The generated pipeline installs bluegreen: its install step, run as a job
runs it, takes the pinned version from a package index (here a local one
serving `make dist`'s wheel) into a clean virtualenv outside the repository,
and a failed install stops the job saying what to set."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from bluegreen import __version__
from bluegreen.ci import gitlab, scripts
from bluegreen.spec.project import load_project

from ..packaging import built_wheel, installed_by_the_pipeline, job_env, package_index
from .harness import BIN, REPO

pytestmark = pytest.mark.slow


def install_step(platform: str) -> tuple[str, str]:
    """The deploy job's install block and its default BLUEGREEN_PACKAGE."""
    project = load_project(REPO / "examples" / "flask-app", env={})
    pipeline = yaml.safe_load(gitlab.generate(gitlab.settings_for(project, platform, ".")))
    install = pipeline[pipeline["deploy"]["extends"]]["before_script"][0]
    return install, pipeline["variables"]["BLUEGREEN_PACKAGE"]["value"]


def test_the_deploy_jobs_install_step_takes_the_pinned_version_from_an_index() -> None:
    install, package = install_step("aws-codedeploy")
    assert install == scripts.INSTALL
    assert package == f"bluegreen=={__version__}", "the version that generated the pipeline"
    installed = installed_by_the_pipeline(install, package)
    assert installed.index.served(built_wheel().name), installed.output
    version = subprocess.run(
        [str(installed.bin / "bluegreen"), "--version"], capture_output=True, text=True
    )
    assert version.returncode == 0 and __version__ in version.stdout, version.stderr
    where = subprocess.run(
        [str(installed.bin / "python"), "-c", "import bluegreen; print(bluegreen.__file__)"],
        capture_output=True,
        text=True,
        cwd=installed.bin,
    )
    assert where.stdout.startswith(str(installed.bin.parent)), "not the repository's copy"


def test_a_version_the_index_does_not_have_stops_the_job_saying_what_to_set(
    tmp_path: Path,
) -> None:
    install, _ = install_step("aws-ecs")
    with package_index(built_wheel(), tmp_path / "index") as index:
        env = job_env(
            BIN,
            BLUEGREEN_INSTALL="pip",
            BLUEGREEN_PACKAGE="bluegreen==99.0",
            PIP_INDEX_URL=index.url,
        )
        done = subprocess.run(
            ["sh", "-e", "-c", install], env=env, capture_output=True, text=True, timeout=300
        )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "could not install BLUEGREEN_PACKAGE=bluegreen==99.0" in done.stderr
    assert "PIP_INDEX_URL or PIP_EXTRA_INDEX_URL" in done.stderr
