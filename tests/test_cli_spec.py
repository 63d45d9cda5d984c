"""`bluegreen validate | render | init` as a user runs them: the console
entry point in a subprocess, exit codes and output."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import botocore.session
import pytest
from botocore.validate import ParamValidator

EXAMPLE = Path(__file__).parents[1] / "examples" / "flask-app"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:abc1234"
ARN = "arn:aws:ecs:us-east-1:123456789012:task-definition/flask-app:3"
UNVERSIONED = ARN.rpartition(":")[0]
CLEAN_ENV = {
    k: v
    for k, v in os.environ.items()
    if not k.startswith(("BLUEGREEN_", "AWS_", "CODEDEPLOY_"))
    and k not in ("ECR_REPO", "TEST_LB_DNS")
}


def bluegreen(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bluegreen.cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=CLEAN_ENV,
        timeout=60,
    )


def test_validate_example_exits_0_and_says_ok():
    out = bluegreen("validate", EXAMPLE)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("ok: ")
    assert "container web:8000" in out.stdout
    assert "placeholders filled at render: <EXECUTION_ROLE_ARN>, <IMAGE_URI>" in out.stdout


def test_render_with_the_issue_image_is_accepted_by_botocore():
    out = bluegreen("render", "--image", IMAGE, EXAMPLE)
    assert out.returncode == 0, out.stderr
    taskdef = json.loads(out.stdout)
    model = botocore.session.get_session().get_service_model("ecs")
    shape = model.operation_model("RegisterTaskDefinition").input_shape
    assert ParamValidator().validate(taskdef, shape).generate_report() == ""
    assert taskdef["containerDefinitions"][0]["image"] == IMAGE


def test_render_revision_is_a_create_deployment_revision(tmp_path: Path):
    out = bluegreen("render", "--what", "revision", "--task-definition-arn", ARN, EXAMPLE)
    assert out.returncode == 0, out.stderr
    revision = json.loads(out.stdout)
    assert revision["revisionType"] == "AppSpecContent"
    content = revision["appSpecContent"]["content"]
    assert ARN in content
    appspec = json.loads(
        bluegreen("render", "--what", "appspec", "--task-definition-arn", ARN, EXAMPLE).stdout
    )
    assert json.loads(content) == appspec


@pytest.mark.parametrize(
    "arn_args",
    [[], ["--task-definition-arn", "flask-app:3"], ["--task-definition-arn", UNVERSIONED]],
)
def test_render_revision_without_a_registered_arn_is_a_usage_error(arn_args: list[str]):
    out = bluegreen("render", "--what", "revision", *arn_args, EXAMPLE)
    assert out.returncode == 2
    assert "--task-definition-arn" in out.stderr
    assert out.stdout == ""


@pytest.mark.parametrize("bad", ["NOEQUALS", "=value"])
def test_bad_set_is_a_usage_error(bad: str):
    out = bluegreen("render", "--image", IMAGE, "--set", bad, EXAMPLE)
    assert out.returncode == 2 and "NAME=value" in out.stderr


@pytest.mark.parametrize("command", ["render", "deploy"])
def test_set_for_a_placeholder_no_file_has_exits_2_naming_the_nearest(command: str, tmp_path: Path):
    app = tmp_path / "app"
    shutil.copytree(EXAMPLE, app)
    image = ["--image", IMAGE] if command == "render" else []  # local deploy refuses --image
    out = bluegreen(command, *image, "--set", "APP_VERSON=v2", app)
    assert out.returncode == 2, out.stdout + out.stderr
    assert "--set APP_VERSON: no placeholder" in out.stderr
    named = out.stderr.split("nearest first): ", 1)[1].split(", ")
    assert named[0] == "APP_VERSION"
    assert {"IMAGE_URI", "AWS_REGION", "LOG_GROUP"} <= {n.strip() for n in named}
    assert "Traceback" not in out.stderr


def test_validate_reports_every_problem_in_every_file(tmp_path: Path):
    app = tmp_path / "app"
    shutil.copytree(EXAMPLE, app)
    (app / "bluegreen.toml").write_text(
        (app / "bluegreen.toml")
        .read_text()
        .replace("desired_count = 2", "desired_count = 0")
        .replace('matcher = "200-399"', 'matcher = "x"')
    )
    (app / "taskdef.json").write_text("[1, 2]")
    (app / "appspec.yaml").write_text((app / "appspec.yaml").read_text().replace("8000", '"8000"'))
    out = bluegreen("validate", app)
    assert out.returncode == 2
    for expected in (
        "service.desired_count",
        "health_check.matcher",
        "taskdef.json",
        "ContainerPort",
    ):
        assert expected in out.stderr
    assert "Traceback" not in out.stderr


def test_missing_directory_and_files_exit_2(tmp_path: Path):
    assert bluegreen("validate", tmp_path / "nope").returncode == 2
    out = bluegreen("validate", tmp_path)
    assert out.returncode == 2
    assert f"no bluegreen project in {tmp_path.resolve()}" in out.stderr, out.stderr
    assert f"bluegreen init {tmp_path}" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1, "one line, not one per file"
    (tmp_path / "bluegreen.toml").write_text('[service]\nname = "web"\n')
    out = bluegreen("validate", tmp_path)
    assert out.stderr.count("file not found") == 2, "a half-made project names what is missing"


def test_init_scaffolds_files_that_validate_and_never_overwrites(tmp_path: Path):
    (tmp_path / "Dockerfile").write_text(
        'FROM python:3.13-slim\nEXPOSE 5000\nCMD ["gunicorn", "-b", "0.0.0.0:5000", "app:app"]\n'
    )
    out = bluegreen("init", tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("wrote ") == 3
    assert bluegreen("validate", tmp_path).returncode == 0
    config = (tmp_path / "bluegreen.toml").read_text()
    assert "container_port = 5000" in config
    assert 'command = "gunicorn -b 127.0.0.1:$PORT app:app"' in config
    (tmp_path / "bluegreen.toml").write_text(config + "\n# mine\n")
    again = bluegreen("init", tmp_path)
    assert again.returncode == 0 and again.stdout.count("kept ") == 3
    assert (tmp_path / "bluegreen.toml").read_text().endswith("# mine\n")
    forced = bluegreen("init", "--force", tmp_path)
    assert forced.stdout.count("wrote ") == 3
    assert "# mine" not in (tmp_path / "bluegreen.toml").read_text()


def test_init_keeps_the_state_directory_out_of_git(tmp_path: Path):
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    (tmp_path / ".gitignore").write_text("*.pyc")
    assert bluegreen("init", tmp_path).returncode == 0
    again = bluegreen("init", tmp_path)
    assert "already ignores .bluegreen/" in again.stdout
    assert (tmp_path / ".gitignore").read_text() == "*.pyc\n.bluegreen/\n"
    (tmp_path / ".bluegreen").mkdir()
    (tmp_path / ".bluegreen" / "token").write_text("secret")
    (tmp_path / ".bluegreen" / "state.db").write_bytes(b"")
    subprocess.run([*git, "add", "-A"], check=True)
    tracked = subprocess.run(
        [*git, "ls-files"], check=True, capture_output=True, text=True
    ).stdout.split()
    assert sorted(tracked) == [".gitignore", "appspec.yaml", "bluegreen.toml", "taskdef.json"]


def test_init_follows_the_app_health_route_and_warns_of_a_fixed_port(tmp_path: Path):
    (tmp_path / "Dockerfile").write_text('FROM python:3.13-slim\nCMD ["python", "app.py"]\n')
    (tmp_path / "app.py").write_text(
        "from flask import Flask\napp = Flask(__name__)\n\n"
        '@app.route("/health")\ndef health():\n    return "ok"\n\n'
        'app.run(host="0.0.0.0", port=80)\n'
    )
    out = bluegreen("init", tmp_path)
    assert out.returncode == 0, out.stderr
    assert "health check path /health (the route at app.py:4)" in out.stdout
    assert 'path = "/health"' in (tmp_path / "bluegreen.toml").read_text()
    warning = [line for line in out.stderr.splitlines() if line.startswith("warning: ")]
    assert len(warning) == 1 and "app.py:8" in warning[0]
    assert 'write port=int(os.environ.get("PORT", 80))' in warning[0]
    assert bluegreen("validate", tmp_path).returncode == 0


def test_help_lists_the_spec_commands_with_examples():
    out = bluegreen("--help")
    assert out.returncode == 0
    for command in ("validate", "render", "init", "Examples:"):
        assert command in out.stdout
