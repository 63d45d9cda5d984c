"""The GitLab CI/CD component (`templates/bluegreen.yml`): the same jobs as
`bluegreen ci gitlab`, for projects that include them by reference instead
of committing a generated file:

    include:
      - component: $CI_SERVER_FQDN/<group>/bluegreen/bluegreen@<version>
        inputs: {platform: aws-ecs, prod_url: https://app.example.com, ...}

Built by `gitlab.jobs` with `$[[ inputs.x ]]` in place of values, so the
component cannot drift from the generator; a test checks the committed file
is current. AWS platforms only: the local platform needs a shell runner on
the machine that serves, which a generated file describes better.
"""

from __future__ import annotations

from typing import Any

from .. import __version__
from .gitlab import (
    AWS_PLATFORMS,
    DOCKER_PLATFORMS,
    PipelineSettings,
    Stages,
    jobs,
    render,
    variables,
)

COMPONENT_PATH = "templates/bluegreen.yml"


def _input(name: str) -> str:
    return f"$[[ inputs.{name} ]]"


INPUTS: dict[str, dict[str, Any]] = {
    "platform": {
        "description": "Where to deploy: CodeDeploy blue/green or ECS-native blue/green.",
        "options": list(AWS_PLATFORMS),
        "default": AWS_PLATFORMS[0],
    },
    "dir": {"description": "Project directory (bluegreen.toml) in the repository.", "default": "."},
    "service": {"description": "Service name; names the resource group.", "default": "app"},
    "package": {
        "description": "pip requirement for bluegreen, pinned.",
        "default": f"bluegreen=={__version__}",
    },
    "environment": {"description": "GitLab environment deployed to.", "default": "production"},
    "prod_url": {
        "description": "Production listener URL: the environment URL, checked by verify.",
        "regex": "^https?://",
    },
    "verify_path": {"description": "Path verify requests.", "default": "/"},
    "aws_region": {"description": "AWS region of the cluster and ECR repository."},
    "aws_account_id": {
        "description": "AWS account id owning the ECR repository.",
        "regex": "^[0-9]{12}$",
    },
    "ecr_repository": {"description": "ECR repository name the image is pushed to."},
    "test_listener_url": {
        "description": "Test listener URL the gate checks (empty: TEST_LB_DNS or bluegreen.toml).",
        "default": "",
    },
    "docker_platform": {
        "description": "Platform the image is built for: the task definition's cpuArchitecture.",
        "options": list(DOCKER_PLATFORMS),
        "default": DOCKER_PLATFORMS[0],
    },
    "job_prefix": {
        "description": "Put before every job name, so they do not clash with the includer's.",
        "default": "",
    },
    "stage_build": {"description": "Stage of the build job.", "default": "build"},
    "stage_deploy": {"description": "Stage of the deploy job.", "default": "deploy"},
    "stage_verify": {"description": "Stage of the verify and rollback jobs.", "default": "verify"},
}


def component_settings() -> PipelineSettings:
    return PipelineSettings(
        platform=_input("platform"),
        project_dir=_input("dir"),
        service=_input("service"),
        package=_input("package"),
        environment=_input("environment"),
        prod_url=_input("prod_url"),
        verify_path=_input("verify_path"),
        region=_input("aws_region"),
        account_id=_input("aws_account_id"),
        ecr_repository=_input("ecr_repository"),
        test_listener_url=_input("test_listener_url"),
        docker_platform=_input("docker_platform"),
        job_prefix=_input("job_prefix"),
        stages=Stages(_input("stage_build"), _input("stage_deploy"), _input("stage_verify")),
    )


def header() -> dict[str, Any]:
    """The `spec:` document that comes before `---`."""
    return {
        "spec": {
            "description": "bluegreen: build, gated blue/green deploy to ECS, verify, rollback.",
            "inputs": INPUTS,
        }
    }


def body() -> dict[str, Any]:
    settings = component_settings()
    return {"variables": variables(settings), **jobs(settings)}


def generate() -> str:
    """The component file: the spec header, `---`, then the jobs."""
    comment = (
        "# GitLab CI/CD component, generated from bluegreen's pipeline generator\n"
        f"# (bluegreen {__version__}). Usage and variables: docs/gitlab.md.\n"
    )
    return render(header(), comment) + render(body(), "---\n")


if __name__ == "__main__":  # python -m bluegreen.ci.component > templates/bluegreen.yml
    print(generate(), end="")
