"""A deploy job without the settings it needs stops at once (exit 2) and says
which variable to set, instead of waiting in Ready for a `continue` that no
pipeline sends, or failing in verify after the deployment is done."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import yaml

from .harness import BIN, REPO, job_script, tool

EXAMPLE = REPO / "examples" / "flask-app"


def job_env(**values: str) -> dict[str, str]:
    """The job's environment as GitLab gives it: the pipeline's variables
    (empty ones included), none of this machine's AWS or bluegreen settings."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "BLUEGREEN_", "TEST_LB"))
    }
    return {
        **env,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "BLUEGREEN_INSTALL": "preinstalled",
        "BLUEGREEN_DIR": str(EXAMPLE),
        "BLUEGREEN_DEPLOY_UNTIL": "succeeded",
        "TEST_LB_DNS": "",
        "BLUEGREEN_PROD_URL": "",
        **values,
    }


def preflight(platform: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [str(BIN / "bluegreen"), "ci", "preflight", str(EXAMPLE), "--platform", platform]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


def test_the_example_deploy_job_without_a_test_listener_stops_at_once(tmp_path: Path) -> None:
    tool("dash")
    pipeline = yaml.safe_load((EXAMPLE / ".gitlab-ci.yml").read_text())
    (tmp_path / "job.sh").write_text(job_script(pipeline, "deploy"))
    done = subprocess.run(
        ["dash", "-e", "job.sh"],
        cwd=tmp_path,
        env=job_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "set the CI/CD variable TEST_LB_DNS" in done.stderr
    assert "set the CI/CD variable BLUEGREEN_PROD_URL" in done.stderr, "every problem at once"
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "bluegreen-events.jsonl").exists(), "nothing was deployed"


def test_either_name_of_the_test_listener_satisfies_it() -> None:
    prod = {"BLUEGREEN_PROD_URL": "http://alb.example"}
    for name in ("TEST_LB_DNS", "BLUEGREEN_AWS_TEST_LISTENER_URL"):
        for platform in ("aws-codedeploy", "aws-ecs"):
            done = preflight(platform, job_env(**prod, **{name: "http://alb.example:8080"}))
            assert done.returncode == 0, (name, platform, done.stderr)
            assert f"ready to deploy to {platform}" in done.stdout


def test_the_production_url_alone_is_checked_where_no_listener_is_needed() -> None:
    done = preflight("local", job_env(BLUEGREEN_PROD_URL="http://127.0.0.1:8080"))
    assert done.returncode == 0, done.stderr
    done = preflight("aws-ecs", job_env(TEST_LB_DNS="alb.example:8080"))
    assert done.returncode == 2
    assert "BLUEGREEN_PROD_URL is ''" in done.stderr and "TEST_LB_DNS" not in done.stderr
