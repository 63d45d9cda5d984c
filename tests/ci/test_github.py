"""The generated GitHub workflow and the composite action: valid against
GitHub's schemas, shaped to gate, one source of shell with GitLab, and
their jobs run under bash as a runner runs them (a recorded deploy stream
here; test_github_local.py deploys for real)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from bluegreen.ci import action, github, gitlab, scripts
from bluegreen.spec.project import load_project
from bluegreen.vocabulary import Status

from . import streams
from .actions_runner import Contexts, Runner, should_run
from .harness import BIN, REPO, tool

EXAMPLE = REPO / "examples" / "flask-app"
DOCS = REPO / "docs" / "github.md"
SHA = "0123456789abcdef0123456789abcdef01234567"


def generated(platform: str) -> str:
    project = load_project(EXAMPLE, env={})
    return github.generate(gitlab.settings_for(project, platform, "examples/flask-app"))


@pytest.fixture(scope="module")
def workflows() -> dict[str, dict[str, Any]]:
    return {p: yaml.safe_load(generated(p)) for p in gitlab.CI_PLATFORMS}


def check_schema(schema: str, paths: list[Path]) -> subprocess.CompletedProcess[str]:
    """check-jsonschema with a GitHub schema as the package vendors it (offline)."""
    command = [str(BIN / "check-jsonschema"), "--builtin-schema", schema, *map(str, paths)]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def test_every_workflow_passes_githubs_workflow_schema(tmp_path: Path) -> None:
    files = []
    for platform in gitlab.CI_PLATFORMS:
        files.append(tmp_path / f"{platform}.yml")
        files[-1].write_text(generated(platform))
    result = check_schema("vendor.github-workflows", files)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_action_passes_githubs_action_schema_and_is_current() -> None:
    path = REPO / action.ACTION_PATH
    assert path.read_text() == action.generate(), (
        "regenerate: python -m bluegreen.ci.action > action.yml"
    )
    result = check_schema("vendor.github-actions", [path])
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_checks_reject_broken_files(tmp_path: Path) -> None:
    workflow = yaml.safe_load(generated("aws-ecs"))
    workflow["jobs"]["deploy"]["stesp"] = workflow["jobs"]["deploy"].pop("steps")
    broken = tmp_path / "workflow.yml"
    broken.write_text(yaml.safe_dump(workflow))
    result = check_schema("vendor.github-workflows", [broken])
    assert result.returncode == 1 and "stesp" in result.stdout
    composite = action.action()
    composite["runs"]["using"] = "bash"
    broken = tmp_path / "action.yml"
    broken.write_text(yaml.safe_dump(composite))
    assert check_schema("vendor.github-actions", [broken]).returncode == 1


@pytest.mark.parametrize("platform", gitlab.CI_PLATFORMS)
def test_jobs_gate_and_keep_deployments_apart(
    workflows: dict[str, dict[str, Any]], platform: str
) -> None:
    w = workflows[platform]
    jobs = w["jobs"]
    assert jobs["deploy"]["needs"] == "build" and jobs["verify"]["needs"] == "deploy"
    assert "needs" not in jobs["rollback"], "runnable after a deploy that failed or timed out"
    group = {"group": "bluegreen-flask-app-production", "cancel-in-progress": False}
    assert jobs["deploy"]["concurrency"] == jobs["rollback"]["concurrency"] == group
    assert jobs["deploy"]["environment"] == jobs["rollback"]["environment"]
    assert jobs["deploy"]["environment"]["name"] == "production"
    deploy = next(s for s in jobs["deploy"]["steps"] if s.get("id") == "deploy")
    assert deploy["run"] == scripts.github_deploy(
        platform, scripts.IMAGE if platform != "local" else ""
    )
    assert set(jobs["deploy"]["outputs"]) == {"deployment-id", "status", "revision"}
    assert w["on"]["workflow_dispatch"]["inputs"]["action"]["options"] == ["deploy", "rollback"]
    assert w["on"]["push"] == {"branches": ["main"]}
    assert w["permissions"].get("id-token") == ("write" if platform != "local" else None)


def contexts(event: str, **inputs: str) -> Contexts:
    return Contexts(github={"event_name": event, "sha": SHA}, inputs=inputs)


def running(jobs: dict[str, Any], c: Contexts) -> set[str]:
    """The jobs GitHub runs: `if:` true and every job it needs ran."""
    ran: set[str] = set()
    for name, job in jobs.items():  # generated in dependency order
        if should_run(job.get("if"), c) and job.get("needs", name) in ran | {name}:
            ran.add(name)
    return ran


@pytest.mark.parametrize("platform", gitlab.CI_PLATFORMS)
def test_a_push_deploys_and_a_dispatch_deploys_or_rolls_back(
    workflows: dict[str, dict[str, Any]], platform: str
) -> None:
    jobs = workflows[platform]["jobs"]
    deploying = {"build", "deploy", "verify"}
    assert running(jobs, contexts("push")) == deploying
    assert running(jobs, contexts("workflow_dispatch", action="deploy")) == deploying
    assert running(jobs, contexts("workflow_dispatch", action="rollback")) == {"rollback"}


def shared_blocks(platform: str) -> set[str]:
    """Every shell block `scripts.py` has for `platform`."""
    blocks = {v for k, v in vars(scripts).items() if k.isupper() and isinstance(v, str)}
    blocks.add(f"{scripts.INSTALL}\n{scripts.SHOW_VERSION}")
    for image in ("", scripts.IMAGE, scripts.IMAGE_IF_SET):
        blocks.add(scripts.github_deploy(platform, image))
        blocks.add(scripts.github_deploy('"$BLUEGREEN_PLATFORM"', image))
    blocks |= {scripts.preflight(platform), scripts.deployed(platform), scripts.rollback(platform)}
    return blocks


def run_blocks(steps: list[dict[str, Any]]) -> list[str]:
    return [step["run"] for step in steps if "run" in step]


@pytest.mark.parametrize("platform", gitlab.CI_PLATFORMS)
@pytest.mark.parametrize("shell", [["dash", "-n"], ["busybox", "ash", "-n"]], ids=lambda s: s[0])
def test_every_run_step_is_a_shared_script_and_posix_sh(
    workflows: dict[str, dict[str, Any]], platform: str, shell: list[str], tmp_path: Path
) -> None:
    """One source of shell: the workflow's and the action's steps are blocks
    of scripts.py, the same the GitLab jobs run, and POSIX like them."""
    tool(shell[0])
    blocks = [b for job in workflows[platform]["jobs"].values() for b in run_blocks(job["steps"])]
    blocks += run_blocks(action.action()["runs"]["steps"])
    unshared = [b for b in blocks if b not in shared_blocks(platform)]
    assert not unshared, unshared
    assert not any("${{" in b for b in blocks), "values reach scripts through env, never inline"
    for block in blocks:
        script = tmp_path / "block.sh"
        script.write_text(block + "\n")
        done = subprocess.run([*shell, str(script)], capture_output=True, text=True)
        assert done.returncode == 0, f"{done.stderr}\n{block}"


def test_every_variable_is_documented(workflows: dict[str, dict[str, Any]]) -> None:
    docs = DOCS.read_text()
    texts = [action.generate(), *map(generated, gitlab.CI_PLATFORMS)]
    used = {m for text in texts for m in re.findall(r"\$\{?([A-Z][A-Z0-9_]*)", text)}
    used |= {m for text in texts for m in re.findall(r"(?:vars|secrets)\.([A-Z][A-Z0-9_]*)", text)}
    used |= {name for w in workflows.values() for name in w["env"]}
    used |= {f"{name}" for name in action.INPUTS} | set(github.OUTPUTS)
    undocumented = sorted(name for name in used if f"`{name}`" not in docs)
    assert not undocumented, f"missing from docs/github.md: {undocumented}"


FAKES = {
    "bluegreen": """#!/bin/sh
# `bluegreen deploy` prints a recorded stream and exits as told, and there is
# no project to preflight (test_preflight.py runs it); the rest is real
case "$1 $2" in
  "deploy "*) echo "$@" > deploy.args; cat "$FAKE_STREAM"; exit "$FAKE_EXIT" ;;
  "ci preflight") exit 0 ;;
  *) exec "$REAL_BLUEGREEN" "$@" ;;
esac
""",
    "aws": """#!/bin/sh
echo "aws $*" >> calls.log
echo ecr-password
""",
    "docker": """#!/bin/sh
echo "docker $*" >> calls.log
if [ "$1" = login ]; then echo "stdin: $(cat)" >> calls.log; fi
""",
}


def aws_runner(tmp_path: Path, stream: str = "", code: int = 0) -> Runner:
    """A runner whose PATH has stand-ins for `aws`, `docker` and `bluegreen
    deploy`, with the example's variables left at their defaults."""
    workspace = tmp_path / "workspace"
    workspace.mkdir(parents=True)
    (tmp_path / "bin").mkdir()
    for name, text in FAKES.items():
        (tmp_path / "bin" / name).write_text(text)
        (tmp_path / "bin" / name).chmod(0o755)
    (tmp_path / "stream.jsonl").write_text(stream)
    env = {
        "PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "REAL_BLUEGREEN": str(BIN / "bluegreen"),
        "FAKE_STREAM": str(tmp_path / "stream.jsonl"),
        "FAKE_EXIT": str(code),
    }
    found = contexts("push")
    found.vars = {"BLUEGREEN_INSTALL": "preinstalled"}
    return Runner(workspace, env, found)


def test_the_build_job_pushes_the_commit_to_ecr_under_bash(
    workflows: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    tool("bash")
    runner = aws_runner(tmp_path)
    result = runner.job(workflows["aws-ecs"], "build")
    assert result is not None and result.code == 0, result and result.log
    image = f"123456789012.dkr.ecr.us-east-1.amazonaws.com/flask-app:{SHA}"
    calls = (runner.workspace / "calls.log").read_text().splitlines()
    assert calls == [
        "aws ecr get-login-password --region us-east-1",
        "docker login --username AWS --password-stdin 123456789012.dkr.ecr.us-east-1.amazonaws.com",
        "stdin: ecr-password",
        f"docker build --pull --platform linux/amd64 --tag {image} examples/flask-app",
        f"docker push {image}",
    ]


def deploy_job(tmp_path: Path, workflow: dict[str, Any], stream: str, code: int) -> Any:
    runner = aws_runner(tmp_path, stream, code)
    result = runner.job(workflow, "deploy")
    assert result is not None
    return runner, result


def test_a_failed_deployment_fails_the_deploy_job_with_its_outputs(
    workflows: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    tool("bash")
    text = streams.stream(
        streams.local_validation_failure(), streams.verdict(Status.FAILED, "rolled back")
    )
    runner, result = deploy_job(tmp_path, workflows["aws-codedeploy"], text, 1)
    assert result.code == 1, result.log
    assert result.outputs == {
        "deployment-id": streams.ID,
        "status": "Failed",
        "revision": "flask-app:4",
    }
    assert result.ran[-1] == "Deploy", "the job stops at the failed step"
    summary = result.summary.splitlines()
    assert summary[0] == f"### bluegreen: Failed, deployment `{streams.ID}`, revision `flask-app:4`"
    assert summary[4].startswith("| test listener | **failed**: validation did not pass within 2s")
    junit = (runner.workspace / scripts.JUNIT_FILE).read_text()
    assert 'failures="2"' in junit
    assert (runner.workspace / scripts.EVENTS_FILE).read_text() == text
    args = (runner.workspace / "deploy.args").read_text().split()
    image = f"123456789012.dkr.ecr.us-east-1.amazonaws.com/flask-app:{SHA}"
    assert args[args.index("--image") + 1] == image, "the image the build job pushed"


def test_a_successful_deployment_passes_and_every_exit_code_passes_through(
    workflows: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    tool("bash")
    text = streams.stream(streams.local_success(), streams.verdict(Status.SUCCEEDED))
    _, result = deploy_job(tmp_path / "ok", workflows["aws-ecs"], text, 0)
    assert result.code == 0 and result.outputs["status"] == "Succeeded", result.log
    for code in (2, 3, 4):
        _, result = deploy_job(tmp_path / str(code), workflows["aws-ecs"], "error: x\n", code)
        assert result.code == code
        assert result.outputs["deployment-id"] == ""
        assert result.summary.startswith("### bluegreen: no deployment\n"), result.summary
