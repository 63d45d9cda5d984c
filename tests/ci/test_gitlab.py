"""The generated pipelines: schema-valid, shaped to gate, POSIX shell, current."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from bluegreen.ci import component, gitlab
from bluegreen.spec.project import load_project

from .harness import REPO, check_schema, script_blocks, tool, yaml_documents

EXAMPLE = REPO / "examples" / "flask-app"
DOCS = REPO / "docs" / "gitlab.md"


def generated(platform: str) -> str:
    project = load_project(EXAMPLE, env={})
    return gitlab.generate(gitlab.settings_for(project, platform, "examples/flask-app"))


@pytest.fixture(scope="module")
def pipelines() -> dict[str, dict[str, Any]]:
    return {p: yaml.safe_load(generated(p)) for p in gitlab.CI_PLATFORMS}


def test_every_pipeline_and_the_component_pass_gitlabs_schema(tmp_path: Path) -> None:
    files = []
    for platform in gitlab.CI_PLATFORMS:
        files.append(tmp_path / f"{platform}.gitlab-ci.yml")
        files[-1].write_text(generated(platform))
    result = check_schema(files)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_component_as_published_passes_gitlabs_schema(tmp_path: Path) -> None:
    """The file is a `spec:` header, `---`, then the jobs, as GitLab reads it;
    check-jsonschema parses a single document, so the two are checked as
    one mapping, which the schema allows (`spec` is a top-level keyword)."""
    header, body = yaml_documents((REPO / component.COMPONENT_PATH).read_text())
    assert list(header) == ["spec"] and "spec" not in body
    whole = tmp_path / "bluegreen.yml"
    whole.write_text(yaml.safe_dump({**header, **body}, sort_keys=False))
    result = check_schema([whole])
    assert result.returncode == 0, result.stdout + result.stderr


def included(inputs: dict[str, str]) -> dict[str, Any]:
    """The component's jobs as GitLab includes them: inputs (the given ones,
    else their defaults) interpolated into the parsed strings, keys too."""
    header, body = yaml_documents(component.generate())
    values = {k: v.get("default", "") for k, v in header["spec"]["inputs"].items()} | inputs

    def fill(node: Any) -> Any:
        if isinstance(node, str):
            return re.sub(r"\$\[\[ inputs\.(\w+) \]\]", lambda m: values[m.group(1)], node)
        if isinstance(node, list):
            return [fill(item) for item in node]
        if isinstance(node, dict):
            return {fill(k): fill(v) for k, v in node.items()}
        return node

    document: dict[str, Any] = fill(body)
    return document


def test_a_job_prefix_keeps_the_components_jobs_apart_from_the_includers(
    tmp_path: Path,
) -> None:
    own = {
        "stages": ["build", "deploy", "verify"],
        "build": {"stage": "build", "script": ["make"]},
        "deploy": {"stage": "deploy", "script": ["make docs"]},
    }
    inputs = {
        "job_prefix": "bg-",
        "prod_url": "https://app.example.com",
        "aws_region": "eu-west-1",
        "aws_account_id": "123456789012",
        "ecr_repository": "app",
    }
    jobs = included(inputs)
    assert not set(jobs) & set(own), "no job of the includer is replaced"
    assert {"bg-build", "bg-deploy", "bg-verify", "bg-rollback", ".bg-bluegreen"} <= set(jobs)
    assert jobs["bg-deploy"]["needs"] == ["bg-build"]
    assert jobs["bg-verify"]["needs"] == ["bg-deploy"]
    assert {jobs[j]["extends"] for j in ("bg-deploy", "bg-verify", "bg-rollback")} == {
        ".bg-bluegreen"
    }
    pipeline = tmp_path / ".gitlab-ci.yml"
    pipeline.write_text(yaml.safe_dump({**own, **jobs}, sort_keys=False))
    result = check_schema([pipeline])
    assert result.returncode == 0, result.stdout + result.stderr
    assert set(included({**inputs, "job_prefix": ""})) >= {"build", "deploy", ".bluegreen"}


@pytest.mark.parametrize(
    ("architecture", "expected"),
    [(None, "linux/amd64"), ("X86_64", "linux/amd64"), ("ARM64", "linux/arm64")],
)
def test_the_image_is_built_for_the_task_definitions_architecture(
    tmp_path: Path, architecture: str | None, expected: str
) -> None:
    """Not the runner's: an ARM runner must still push amd64 for an X86_64 task."""
    project_dir = tmp_path / "app"
    shutil.copytree(EXAMPLE, project_dir)
    taskdef = json.loads((project_dir / "taskdef.json").read_text())
    taskdef.pop("runtimePlatform")
    if architecture:
        taskdef["runtimePlatform"] = {"cpuArchitecture": architecture}
    (project_dir / "taskdef.json").write_text(json.dumps(taskdef))
    settings = gitlab.settings_for(load_project(project_dir, env={}), "aws-ecs", ".")
    p = yaml.safe_load(gitlab.generate(settings))
    assert p["variables"]["BLUEGREEN_DOCKER_PLATFORM"]["value"] == expected
    assert p["build"]["script"][0].startswith(
        'docker build --pull --platform "$BLUEGREEN_DOCKER_PLATFORM" '
    )


def test_the_schema_check_rejects_a_broken_pipeline(tmp_path: Path) -> None:
    broken = yaml.safe_load(generated("aws-codedeploy"))
    broken["deploy"]["scrpt"] = broken["deploy"].pop("script")
    broken["rollback"]["when"] = "sometimes"
    path = tmp_path / ".gitlab-ci.yml"
    path.write_text(yaml.safe_dump(broken))
    result = check_schema([path])
    assert result.returncode == 1
    assert "scrpt" in result.stdout and "sometimes" in result.stdout


@pytest.mark.parametrize("platform", gitlab.CI_PLATFORMS)
def test_stages_order_and_the_deploy_gate(
    pipelines: dict[str, dict[str, Any]], platform: str
) -> None:
    p = pipelines[platform]
    assert p["stages"] == ["build", "deploy", "verify"]
    assert p["workflow"]["rules"] == [{"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"}]
    deploy, verify, rollback = p["deploy"], p["verify"], p["rollback"]
    assert deploy["needs"] == ["build"] and verify["needs"] == ["deploy"]
    # runnable after deploy exits 3 or 4, when the deployment may still be running
    assert rollback["needs"] == [] and rollback["allow_failure"] is True
    assert (
        deploy["resource_group"] == rollback["resource_group"] == "bluegreen-flask-app-production"
    )
    assert deploy["environment"] == {
        "name": "production",
        "url": "$BLUEGREEN_PROD_URL",
        "deployment_tier": "production",
    }
    assert deploy["interruptible"] is False
    assert deploy["artifacts"]["when"] == "always"
    assert deploy["artifacts"]["reports"] == {
        "junit": "bluegreen-validation.xml",
        "dotenv": "bluegreen.env",
    }
    assert rollback["when"] == "manual" and rollback["stage"] == "verify"
    gate = deploy["script"][-1]
    assert f'bluegreen deploy "$BLUEGREEN_DIR" --platform {platform}' in gate
    assert '--until "$BLUEGREEN_DEPLOY_UNTIL"' in gate
    assert gate.startswith("bluegreen ci report ")
    assert deploy["script"][0] == f'bluegreen ci preflight "$BLUEGREEN_DIR" --platform {platform}'
    assert p["variables"]["BLUEGREEN_DEPLOY_UNTIL"]["options"] == ["succeeded", "shifted"]


def test_aws_builds_with_tls_dind_and_pushes_the_commit_tag(
    pipelines: dict[str, dict[str, Any]],
) -> None:
    for platform in gitlab.AWS_PLATFORMS:
        p = pipelines[platform]
        build = p["build"]
        assert build["services"] == [gitlab.DIND_SERVICE]
        assert build["variables"]["DOCKER_TLS_CERTDIR"] == "/certs"
        assert build["variables"]["DOCKER_HOST"] == "tcp://docker:2376"
        assert p["variables"]["BLUEGREEN_IMAGE"]["value"].endswith(":$CI_COMMIT_SHORT_SHA")
        assert '--image "$BLUEGREEN_IMAGE"' in p["deploy"]["script"][-1]
        assert p[".bluegreen"]["image"] == gitlab.PYTHON_IMAGE
        assert p["variables"]["BLUEGREEN_PACKAGE"]["value"].startswith("bluegreen==")
        assert p["variables"]["AWS_DEFAULT_REGION"]["value"] == "us-east-1"


def test_local_jobs_run_on_a_shell_runner_without_image(
    pipelines: dict[str, dict[str, Any]],
) -> None:
    p = pipelines["local"]
    assert not any("image" in body for body in p.values() if isinstance(body, dict))
    assert p[".bluegreen"]["tags"] == [gitlab.SHELL_RUNNER_TAG]
    assert p["build"]["script"] == ['bluegreen validate "$BLUEGREEN_DIR"']
    assert p["variables"]["BLUEGREEN_INSTALL"]["value"] == "preinstalled"
    assert p["variables"]["BLUEGREEN_LOCAL_PROD_PORT"]["value"] == "8080"


def test_every_variable_is_described_and_documented(
    pipelines: dict[str, dict[str, Any]],
) -> None:
    docs = DOCS.read_text()
    texts = [component.generate(), *map(generated, gitlab.CI_PLATFORMS)]
    used = {m for text in texts for m in re.findall(r"\$\{?([A-Z][A-Z0-9_]*)", text)}
    jobs = [body for p in pipelines.values() for body in p.values() if isinstance(body, dict)]
    used |= {name for body in jobs for name in body.get("variables", {})}
    undocumented = sorted(name for name in used if f"`{name}`" not in docs)
    assert not undocumented, f"variables missing from docs/gitlab.md: {undocumented}"
    for p in pipelines.values():
        for name, entry in p["variables"].items():
            assert entry["description"], name


SHELLS = [["dash", "-n"], ["busybox", "ash", "-n"]]


@pytest.mark.parametrize("shell", SHELLS, ids=lambda s: s[0])
def test_every_script_block_is_posix_sh(
    pipelines: dict[str, dict[str, Any]], shell: list[str], tmp_path: Path
) -> None:
    tool(shell[0])
    blocks = [b for p in pipelines.values() for b in script_blocks(p)]
    # GitLab interpolates inputs before any shell sees the script
    interpolated = re.sub(r"\$\[\[ inputs\.\w+ \]\]", "aws-ecs", component.generate())
    blocks += script_blocks(yaml_documents(interpolated)[1])
    for job, key, block in blocks:
        assert not re.search(r"\{\d+\.\.\d+\}|\[\[|pipefail|\|\| true", block), (job, block)
        script = tmp_path / "block.sh"
        script.write_text(block + "\n")
        result = subprocess.run([*shell, str(script)], capture_output=True, text=True)
        assert result.returncode == 0, f"{job}.{key}: {result.stderr}\n{block}"


def test_the_example_apps_pipeline_is_current() -> None:
    project = load_project(EXAMPLE, env={})
    expected = gitlab.generate(gitlab.settings_for(project, "aws-codedeploy", "."))
    assert (EXAMPLE / ".gitlab-ci.yml").read_text() == expected, (
        "regenerate: bluegreen ci gitlab examples/flask-app --platform aws-codedeploy "
        "--output examples/flask-app/.gitlab-ci.yml"
    )


def test_the_component_is_current_and_takes_inputs() -> None:
    text = (REPO / component.COMPONENT_PATH).read_text()
    assert text == component.generate(), (
        "regenerate: python -m bluegreen.ci.component > templates/bluegreen.yml"
    )
    spec, body = yaml_documents(text)
    inputs = spec["spec"]["inputs"]
    used = set(re.findall(r"\$\[\[ inputs\.(\w+) \]\]", text.split("\n---\n", 1)[1]))
    assert used == set(inputs), "every input is used and every use is declared"
    assert inputs["platform"]["options"] == list(gitlab.AWS_PLATFORMS)
    assert body["$[[ inputs.job_prefix ]]deploy"]["stage"] == "$[[ inputs.stage_deploy ]]"
    assert "stages" not in body and "workflow" not in body, "the includer's to decide"
