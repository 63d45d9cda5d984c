"""What the schema cannot check, asked of gitlab-ci-local (no jobs run):
`needs` and `extends` resolve, rules keep every job on the default branch,
and the component's inputs are enforced and interpolated on include."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from bluegreen.ci import component, gitlab

from .harness import REPO, gitlab_ci_local
from .test_gitlab import generated


def git_repo(root: Path) -> Path:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_COMMITTER_NAME": "t"}
    env |= {"GIT_AUTHOR_EMAIL": "t@127.0.0.1", "GIT_COMMITTER_EMAIL": "t@127.0.0.1"}
    for command in (
        ["git", "init", "-q", "-b", "main"],
        ["git", "add", "-A"],
        ["git", "commit", "-qm", "pipeline"],
        ["git", "remote", "add", "origin", "git@127.0.0.1:demo-group/demo-project.git"],
    ):
        subprocess.run(command, cwd=root, env=env, check=True, capture_output=True)
    return root


def glcl(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(gitlab_ci_local()), *args], cwd=root, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("platform", gitlab.CI_PLATFORMS)
def test_jobs_needs_and_rules_resolve(tmp_path: Path, platform: str) -> None:
    (tmp_path / ".gitlab-ci.yml").write_text(generated(platform))
    listed = glcl(git_repo(tmp_path), "--list-json")
    assert listed.returncode == 0, listed.stdout + listed.stderr
    jobs = {job["name"]: job for job in json.loads(listed.stdout[listed.stdout.index("[") :])}
    assert {n: j["stage"] for n, j in jobs.items()} == {
        "build": "build",
        "deploy": "deploy",
        "verify": "verify",
        "rollback": "verify",
    }
    assert [n["job"] for n in jobs["verify"]["needs"]] == ["deploy"]
    assert jobs["rollback"]["when"] == "manual" and jobs["rollback"]["allow_failure"] is True


INCLUDE = """\
stages: [package, ship, check]
include:
  - local: templates/bluegreen.yml
    inputs:
      platform: {platform}
      prod_url: https://app.example.com
      aws_region: eu-west-1
      aws_account_id: "123456789012"
      ecr_repository: app
      stage_build: package
      stage_deploy: ship
      stage_verify: check
"""


def component_repo(root: Path, include: str) -> Path:
    (root / "templates").mkdir(parents=True)
    shutil.copy(REPO / component.COMPONENT_PATH, root / component.COMPONENT_PATH)
    (root / ".gitlab-ci.yml").write_text(include)
    return git_repo(root)


def test_the_component_included_with_inputs(tmp_path: Path) -> None:
    root = component_repo(tmp_path, INCLUDE.format(platform="aws-ecs"))
    preview = glcl(root, "--preview")
    assert preview.returncode == 0, preview.stdout + preview.stderr
    assert "--platform aws-ecs --image" in preview.stdout
    assert "AWS_DEFAULT_REGION: eu-west-1" in preview.stdout
    assert "$[[" not in preview.stdout, "every input interpolated"
    listed = glcl(root, "--list")
    assert listed.returncode == 0 and "ship" in listed.stdout


def test_the_component_refuses_a_bad_or_missing_input(tmp_path: Path) -> None:
    bad = glcl(component_repo(tmp_path / "bad", INCLUDE.format(platform="local")), "--list")
    assert "`platform` input: `local` cannot be used" in bad.stdout + bad.stderr
    without_url = INCLUDE.format(platform="aws-ecs").replace(
        "      prod_url: https://app.example.com\n", ""
    )
    missing = glcl(component_repo(tmp_path / "missing", without_url), "--list")
    assert "`prod_url` input: required value has not been provided" in (
        missing.stdout + missing.stderr
    )
