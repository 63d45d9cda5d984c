"""`.gitlab-ci.yml` for a bluegreen project: build → deploy → verify, plus a
manual rollback.

The pipeline is data built here (dicts), dumped once as YAML, so the
generated file, the example app's copy and the CI/CD component in
`templates/` come from the same code and cannot drift. What makes it gate
traffic is not the YAML but `bluegreen deploy`: it waits for the deployment
to end, validates green through the test listener before production traffic
moves, and exits non-zero when the deployment failed or was rolled back.
The YAML only has to make sure that exit code reaches GitLab, that two
pipelines never deploy at once (`resource_group`), and that the deployment
id and the validation results come out as reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import yaml

from .. import __version__
from ..images.project import build_platform
from ..spec.config import BluegreenConfig
from ..spec.project import Project
from . import scripts

CI_PLATFORMS = ("local", "aws-codedeploy", "aws-ecs")
AWS_PLATFORMS = ("aws-codedeploy", "aws-ecs")
DOCKER_PLATFORMS = ("linux/amd64", "linux/arm64")
# where `deploy --until` may end the deploy job; `ready` would leave the
# AWS gate unrun and verify would see blue, so the pipeline does not offer it
DEPLOY_UNTIL = ("succeeded", "shifted")

PYTHON_IMAGE = "python:3.12-slim"
DOCKER_IMAGE = "docker:27"
DIND_SERVICE = "docker:27-dind"
SHELL_RUNNER_TAG = "shell"
# a GitLab OIDC token for AWS_ROLE_ARN (see scripts.AWS_OIDC)
_ID_TOKENS = {"BLUEGREEN_ID_TOKEN": {"aud": "$CI_SERVER_URL"}}


@dataclass(frozen=True)
class Stages:
    build: str = "build"
    deploy: str = "deploy"
    verify: str = "verify"


@dataclass(frozen=True)
class PipelineSettings:
    """Everything a generated pipeline depends on; strings may be GitLab
    variables or component inputs (`$[[ inputs.x ]]`) as well as values."""

    platform: str
    project_dir: str = "."
    service: str = "web"
    package: str = f"bluegreen=={__version__}"
    environment: str = "production"
    prod_url: str = ""
    verify_path: str = "/"
    region: str = ""
    account_id: str = ""
    ecr_repository: str = ""
    local_prod_port: int = 8080
    local_test_port: int = 8081
    test_listener_url: str = ""
    docker_platform: str = DOCKER_PLATFORMS[0]
    job_prefix: str = ""
    stages: Stages = field(default_factory=Stages)

    @property
    def on_aws(self) -> bool:
        return self.platform != "local"

    @property
    def resource_group(self) -> str:
        return f"bluegreen-{self.service}-{self.environment}"

    def job(self, name: str) -> str:
        """A job's name with the prefix that keeps it apart from the includer's jobs."""
        return f".{self.job_prefix}{name[1:]}" if name.startswith(".") else self.job_prefix + name


def settings_for(project: Project, platform: str, project_dir: str) -> PipelineSettings:
    """Defaults taken from bluegreen.toml and taskdef.json, so the pipeline
    matches the project."""
    config = project.config
    local = config.local
    return PipelineSettings(
        platform=platform,
        project_dir=project_dir,
        service=config.service.name,
        prod_url=_prod_url(config, platform),
        region=config.aws.region or "",
        account_id=config.aws.account_id or "",
        ecr_repository=config.aws.ecr_repository or config.service.name,
        local_prod_port=local.prod_port,
        local_test_port=local.test_port,
        test_listener_url=str(config.aws.test_listener_url or ""),
        # ECS runs X86_64 unless the task definition says otherwise
        docker_platform=build_platform(project.taskdef) or DOCKER_PLATFORMS[0],
    )


def _prod_url(config: BluegreenConfig, platform: str) -> str:
    """Locally the production port; on AWS the test listener's load balancer
    without its port (CodeDeploy's layout: production on 80/443, test on 8080)."""
    if platform == "local":
        return "http://127.0.0.1:$BLUEGREEN_LOCAL_PROD_PORT"
    test_url = config.aws.test_listener_url
    if not test_url:
        return ""
    parts = urlsplit(test_url)
    return f"{parts.scheme}://{parts.hostname}"


def pipeline(settings: PipelineSettings) -> dict[str, Any]:
    """The whole `.gitlab-ci.yml` as data."""
    s = settings.stages
    return {
        "workflow": {
            "name": f"bluegreen: $CI_COMMIT_SHORT_SHA to {settings.environment}",
            "rules": [{"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"}],
        },
        "stages": [s.build, s.deploy, s.verify],
        "variables": variables(settings),
        **jobs(settings),
    }


def jobs(settings: PipelineSettings) -> dict[str, Any]:
    found = {
        ".bluegreen": base_job(settings),
        "build": build_job(settings),
        "deploy": deploy_job(settings),
        "verify": verify_job(settings),
        "rollback": rollback_job(settings),
    }
    return {settings.job(name): body for name, body in found.items()}


def variables(settings: PipelineSettings) -> dict[str, Any]:
    """Every variable the jobs read, with the description GitLab shows on
    the Run pipeline page. CI/CD settings of the project override these."""
    found = {
        "BLUEGREEN_DIR": _var(
            settings.project_dir, "Project directory (bluegreen.toml) in the repository."
        ),
        "BLUEGREEN_PACKAGE": _var(
            settings.package,
            "pip requirement installed when BLUEGREEN_INSTALL is pip: bluegreen==X from "
            "PIP_INDEX_URL/PIP_EXTRA_INDEX_URL (a package registry), or a wheel URL.",
        ),
        "BLUEGREEN_INSTALL": _var(
            "pip" if settings.on_aws else "preinstalled",
            "pip: install BLUEGREEN_PACKAGE in the job; preinstalled: use the bluegreen on PATH.",
            options=["pip", "preinstalled"],
        ),
        "BLUEGREEN_PROD_URL": _var(
            settings.prod_url, "Production listener URL: the environment's URL, checked by verify."
        ),
        "BLUEGREEN_VERIFY_PATH": _var(
            settings.verify_path, "Path verify requests on the production listener."
        ),
        "BLUEGREEN_VERIFY_EXPECT": _var(
            "", "Text the production response must contain (empty: any 2xx/3xx)."
        ),
        "BLUEGREEN_DEPLOY_UNTIL": _var(
            DEPLOY_UNTIL[0],
            "Where the deploy job ends: succeeded, or shifted (production on green; the "
            "termination wait goes on without the job).",
            options=list(DEPLOY_UNTIL),
        ),
    }
    found.update(_aws_variables(settings) if settings.on_aws else _local_variables(settings))
    return found


def _aws_variables(settings: PipelineSettings) -> dict[str, Any]:
    return {
        "AWS_DEFAULT_REGION": _var(
            settings.region, "AWS region of the cluster and the ECR repository."
        ),
        "AWS_ACCOUNT_ID": _var(
            settings.account_id, "12-digit AWS account id that owns the ECR repository."
        ),
        "ECR_REPO": _var(settings.ecr_repository, "ECR repository name the image is pushed to."),
        "ECR_REGISTRY": _var(
            "$AWS_ACCOUNT_ID.dkr.ecr.$AWS_DEFAULT_REGION.amazonaws.com", "ECR registry host."
        ),
        "BLUEGREEN_IMAGE": _var(
            "$ECR_REGISTRY/$ECR_REPO:$CI_COMMIT_SHORT_SHA", "Image built, pushed and deployed."
        ),
        "BLUEGREEN_DOCKER_PLATFORM": _var(
            settings.docker_platform,
            "Platform the image is built for: the task definition's cpuArchitecture.",
            options=list(DOCKER_PLATFORMS),
        ),
        "TEST_LB_DNS": _var(
            settings.test_listener_url,
            "Test listener URL or host:port (stack output TestListenerUrl); the gate checks "
            "green there. Empty: aws.test_listener_url in bluegreen.toml.",
        ),
        "AWS_ROLE_ARN": _var(
            "",
            "IAM role to assume via GitLab OIDC; empty: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY.",
        ),
    }


def _local_variables(settings: PipelineSettings) -> dict[str, Any]:
    return {
        "BLUEGREEN_LOCAL_PROD_PORT": _var(
            str(settings.local_prod_port), "Production listener port of the local platform."
        ),
        "BLUEGREEN_LOCAL_TEST_PORT": _var(
            str(settings.local_test_port), "Test listener port of the local platform."
        ),
    }


def _var(value: str, description: str, options: list[str] | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"value": value, "description": description}
    if options:
        entry["options"] = options
    return entry


def base_job(settings: PipelineSettings) -> dict[str, Any]:
    """What every job running bluegreen shares: where it runs and the install.
    A Python image on AWS; on the local platform a shell runner on the host
    that keeps serving, so no image (gitlab-ci-local runs it in its shell
    executor)."""
    install = [scripts.INSTALL, scripts.SHOW_VERSION]
    if not settings.on_aws:
        return {"tags": [SHELL_RUNNER_TAG], "before_script": install}
    return {
        "image": PYTHON_IMAGE,
        "id_tokens": _ID_TOKENS,
        "before_script": [*install, scripts.AWS_OIDC],
    }


def build_job(settings: PipelineSettings) -> dict[str, Any]:
    """Docker-in-Docker with TLS pushing to ECR; on the local platform (which
    runs the app's processes, no image) a validation of the project instead."""
    if not settings.on_aws:
        return {
            "extends": settings.job(".bluegreen"),
            "stage": settings.stages.build,
            "script": [scripts.VALIDATE],
        }
    return {
        "stage": settings.stages.build,
        "image": DOCKER_IMAGE,
        "services": [DIND_SERVICE],
        "variables": {
            "DOCKER_HOST": "tcp://docker:2376",
            "DOCKER_TLS_CERTDIR": "/certs",
            "DOCKER_TLS_VERIFY": "1",
            "DOCKER_CERT_PATH": "/certs/client",
        },
        "id_tokens": _ID_TOKENS,
        "before_script": ["apk add --no-cache aws-cli", scripts.AWS_OIDC, scripts.ECR_LOGIN],
        "script": [scripts.DOCKER_BUILD, scripts.DOCKER_PUSH],
    }


def deploy_job(settings: PipelineSettings) -> dict[str, Any]:
    """One blue/green deployment; the job ends with it and fails with it."""
    return {
        "extends": settings.job(".bluegreen"),
        "stage": settings.stages.deploy,
        "needs": [settings.job("build")],
        "resource_group": settings.resource_group,
        "interruptible": False,
        "environment": _environment(settings),
        "script": [
            scripts.preflight(settings.platform),
            *([] if settings.on_aws else [scripts.LOCAL_UP]),
            scripts.deploy(settings.platform, scripts.IMAGE if settings.on_aws else ""),
        ],
        "artifacts": {
            "when": "always",
            "paths": [scripts.EVENTS_FILE],
            "reports": {"junit": scripts.JUNIT_FILE, "dotenv": scripts.GITLAB_DOTENV},
            "expire_in": "30 days",
        },
    }


def verify_job(settings: PipelineSettings) -> dict[str, Any]:
    """After the shift: the production listener answers, with the new version."""
    return {
        "extends": settings.job(".bluegreen"),
        "stage": settings.stages.verify,
        "needs": [settings.job("deploy")],
        "environment": {"name": settings.environment, "action": "verify"},
        "script": [scripts.deployed(settings.platform), scripts.VERIFY],
    }


def rollback_job(settings: PipelineSettings) -> dict[str, Any]:
    """By hand: back to the previous revision (an instant flip inside the
    termination wait, else a new deployment of the last good revision).

    GitLab skips a job whose `needs` (or earlier stage) failed, manual or
    not, and `optional` only covers a job missing from the pipeline. Yet a
    deploy that exits 3 (timed out) or 4 (platform unreachable) may leave
    its deployment running, which is when a rollback is wanted. So the job
    needs nothing, `needs: []`, and is playable from the start; the shared
    resource_group queues it behind a deploy in progress."""
    return {
        "extends": settings.job(".bluegreen"),
        "stage": settings.stages.verify,
        "needs": [],
        "when": "manual",
        "allow_failure": True,
        "resource_group": settings.resource_group,
        "interruptible": False,
        "environment": _environment(settings),
        "script": [scripts.rollback(settings.platform)],
    }


def _environment(settings: PipelineSettings) -> dict[str, str]:
    return {
        "name": settings.environment,
        "url": "$BLUEGREEN_PROD_URL",
        "deployment_tier": "production",
    }


def render(document: dict[str, Any], header: str) -> str:
    """YAML with multi-line scripts as literal blocks, keys in build order."""
    body = yaml.dump(document, Dumper=_Dumper, sort_keys=False, width=4096, allow_unicode=True)
    return header + body


class _Dumper(yaml.SafeDumper):
    """Literal blocks for multi-line strings; lists indented under their key."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def generate(settings: PipelineSettings) -> str:
    """The `.gitlab-ci.yml` text `bluegreen ci gitlab` writes."""
    header = (
        f"# Generated by `bluegreen ci gitlab --platform {settings.platform}` "
        f"(bluegreen {__version__}).\n"
        "# Regenerate instead of editing; set values under Settings > CI/CD > Variables.\n"
        "# Variables and the gate: docs/gitlab.md.\n"
    )
    return render(pipeline(settings), header)
