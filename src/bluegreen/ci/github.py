"""`.github/workflows/bluegreen.yml`: the GitLab pipeline's jobs as a GitHub
Actions workflow (build → deploy → verify, and a rollback run by hand).

The settings are the GitLab generator's (`gitlab.settings_for`) and every
shell step is a block of `scripts.py`, so the two CI systems run the same
commands; only the structure differs. As on GitLab, the gate is
`bluegreen deploy` itself: it waits for green, checks it through the test
listener, shifts traffic or rolls back, and its exit code fails the job.

What GitHub does differently, and how the workflow answers it:
- No manual jobs. Rollback is a `workflow_dispatch` run with
  `action: rollback` rather than a job waiting on an environment's required
  reviewers: such a job would sit "waiting" in every run, hold the
  deployment's concurrency group (so the next push's deploy could not
  start), and required reviewers are not on every plan. Protection rules
  set on the environment still apply to the rollback job, which uses it.
- No resource_group. `concurrency` with one group for deploy and rollback
  and `cancel-in-progress: false` keeps two deployments apart; GitHub
  keeps one run waiting per group, and a newer one replaces it.
- No variables made of variables. Defaults sit in `env:` as
  `${{ vars.NAME || 'default' }}`, so a repository or environment variable
  overrides them, and the image name is derived in a step.
- Step outputs instead of a dotenv report: `ci report` writes
  DEPLOYMENT_ID (and status, revision) to `$GITHUB_OUTPUT`, which has the
  dotenv format.
"""

from __future__ import annotations

from typing import Any

from .. import __version__
from . import scripts
from .gitlab import DEPLOY_UNTIL, PipelineSettings, render

WORKFLOW_PATH = ".github/workflows/bluegreen.yml"
CHECKOUT = "actions/checkout@v4"
SETUP_PYTHON = "actions/setup-python@v5"
AWS_CREDENTIALS = "aws-actions/configure-aws-credentials@v4"
UPLOAD_ARTIFACT = "actions/upload-artifact@v4"
PYTHON_VERSION = "3.12"
HOSTED_RUNNER = "ubuntu-latest"
# the local platform serves from the machine that deploys: a self-hosted
# runner there, labelled so no other runner picks the jobs up
SELF_HOSTED_RUNNER = ("self-hosted", "bluegreen")
RUN_ACTIONS = ("deploy", "rollback")
# the job's outputs, from the dotenv lines `ci report` writes
OUTPUTS = {
    "deployment-id": "DEPLOYMENT_ID",
    "status": "DEPLOYMENT_STATUS",
    "revision": "DEPLOYMENT_REVISION",
}

ON_DEPLOY = "github.event_name == 'push' || inputs.action == 'deploy'"
ON_ROLLBACK = "github.event_name == 'workflow_dispatch' && inputs.action == 'rollback'"


def expr(text: str) -> str:
    return "${{ " + text + " }}"


def literal(value: str) -> str:
    """A string literal in GitHub's expression syntax (quotes doubled)."""
    return "'" + value.replace("'", "''") + "'"


def setting(name: str, default: str = "") -> str:
    """The repository/environment variable `name`, else `default`."""
    return expr(f"vars.{name} || {literal(default)}" if default else f"vars.{name}")


def workflow(settings: PipelineSettings, branch: str) -> dict[str, Any]:
    """The whole workflow as data."""
    return {
        "name": "bluegreen",
        "run-name": "bluegreen: " + expr("inputs.action || 'deploy'") + " " + expr("github.sha"),
        "on": {
            "push": {"branches": [branch]},
            "workflow_dispatch": {"inputs": dispatch_inputs()},
        },
        "permissions": _permissions(settings),
        "defaults": {"run": {"shell": "bash"}},
        "env": env(settings),
        "jobs": {
            "build": build_job(settings),
            "deploy": deploy_job(settings),
            "verify": verify_job(settings),
            "rollback": rollback_job(settings),
        },
    }


def dispatch_inputs() -> dict[str, Any]:
    return {
        "action": {
            "description": "deploy this commit, or roll production back to the previous revision",
            "type": "choice",
            "options": list(RUN_ACTIONS),
            "default": RUN_ACTIONS[0],
        },
        "until": {
            "description": "where the deploy job ends: succeeded, or shifted (production on "
            "green; the termination wait goes on without the job)",
            "type": "choice",
            "options": list(DEPLOY_UNTIL),
            "default": DEPLOY_UNTIL[0],
        },
    }


def _permissions(settings: PipelineSettings) -> dict[str, str]:
    """Read the repository; on AWS also mint the OIDC token for AWS_ROLE_ARN."""
    found = {"contents": "read"}
    if settings.on_aws:
        found["id-token"] = "write"
    return found


def env(settings: PipelineSettings) -> dict[str, str]:
    """Every variable the steps read (docs/github.md describes each)."""
    found = {
        "BLUEGREEN_DIR": setting("BLUEGREEN_DIR", settings.project_dir),
        "BLUEGREEN_PACKAGE": setting("BLUEGREEN_PACKAGE", settings.package),
        "BLUEGREEN_INSTALL": setting(
            "BLUEGREEN_INSTALL", "pip" if settings.on_aws else "preinstalled"
        ),
        # an index URL with its token is a secret on GitHub; empty is unset for pip
        "PIP_INDEX_URL": expr("secrets.PIP_INDEX_URL"),
        "PIP_EXTRA_INDEX_URL": expr("secrets.PIP_EXTRA_INDEX_URL"),
        "BLUEGREEN_PROD_URL": setting("BLUEGREEN_PROD_URL", prod_url(settings)),
        "BLUEGREEN_VERIFY_PATH": setting("BLUEGREEN_VERIFY_PATH", settings.verify_path),
        "BLUEGREEN_VERIFY_EXPECT": setting("BLUEGREEN_VERIFY_EXPECT"),
        "BLUEGREEN_DEPLOY_UNTIL": expr(
            f"inputs.until || vars.BLUEGREEN_DEPLOY_UNTIL || {literal(DEPLOY_UNTIL[0])}"
        ),
    }
    found.update(_aws_env(settings) if settings.on_aws else _local_env(settings))
    return found


def prod_url(settings: PipelineSettings) -> str:
    """GitLab's default, with the local port written out (no `$VAR` inside `env:`)."""
    if settings.on_aws:
        return settings.prod_url
    return f"http://127.0.0.1:{settings.local_prod_port}"


def _aws_env(settings: PipelineSettings) -> dict[str, str]:
    return {
        "AWS_DEFAULT_REGION": setting("AWS_DEFAULT_REGION", settings.region),
        "AWS_ACCOUNT_ID": setting("AWS_ACCOUNT_ID", settings.account_id),
        "ECR_REPO": setting("ECR_REPO", settings.ecr_repository),
        "ECR_REGISTRY": setting("ECR_REGISTRY"),
        "BLUEGREEN_IMAGE": setting("BLUEGREEN_IMAGE"),
        "BLUEGREEN_DOCKER_PLATFORM": setting("BLUEGREEN_DOCKER_PLATFORM", settings.docker_platform),
        "TEST_LB_DNS": setting("TEST_LB_DNS", settings.test_listener_url),
    }


def _local_env(settings: PipelineSettings) -> dict[str, str]:
    return {
        "BLUEGREEN_LOCAL_PROD_PORT": setting(
            "BLUEGREEN_LOCAL_PROD_PORT", str(settings.local_prod_port)
        ),
        "BLUEGREEN_LOCAL_TEST_PORT": setting(
            "BLUEGREEN_LOCAL_TEST_PORT", str(settings.local_test_port)
        ),
    }


def run(name: str, script: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, **extra, "run": script}


def checkout(settings: PipelineSettings) -> dict[str, Any]:
    """On the serving machine the checkout keeps untracked files: the
    project's `.bluegreen/` (the daemon's state and snapshots) lives there,
    and checkout's default `git clean -ffdx` would delete it under the
    running daemon."""
    if settings.on_aws:
        return {"uses": CHECKOUT}
    return {"uses": CHECKOUT, "with": {"clean": False}}


def aws_credentials() -> dict[str, Any]:
    """OIDC with AWS_ROLE_ARN (a repository variable), else the access key
    secrets; with both, the keys assume the role."""
    return {
        "name": "AWS credentials",
        "uses": AWS_CREDENTIALS,
        "with": {
            "aws-region": expr("env.AWS_DEFAULT_REGION"),
            "role-to-assume": expr("vars.AWS_ROLE_ARN"),
            "aws-access-key-id": expr("secrets.AWS_ACCESS_KEY_ID"),
            "aws-secret-access-key": expr("secrets.AWS_SECRET_ACCESS_KEY"),
        },
    }


def setup_steps(settings: PipelineSettings) -> list[dict[str, Any]]:
    """Checkout, bluegreen installed, AWS credentials: what every job running
    bluegreen starts with."""
    steps = [checkout(settings)]
    if settings.on_aws:
        # ubuntu's own python3 refuses `pip install` (PEP 668)
        steps.append({"uses": SETUP_PYTHON, "with": {"python-version": PYTHON_VERSION}})
    steps.append(run("Install bluegreen", f"{scripts.INSTALL}\n{scripts.SHOW_VERSION}"))
    if settings.on_aws:
        steps.append(aws_credentials())
    return steps


def _job(settings: PipelineSettings, steps: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    runner = HOSTED_RUNNER if settings.on_aws else list(SELF_HOSTED_RUNNER)
    return {**extra, "runs-on": runner, "steps": steps}


def build_job(settings: PipelineSettings) -> dict[str, Any]:
    """AWS: the image for the task definition's architecture, pushed to ECR;
    local (which runs the app's processes, no image): a validation."""
    if settings.on_aws:
        steps = [
            checkout(settings),
            aws_credentials(),
            run("Image name", scripts.GITHUB_IMAGE),
            run("Log in to ECR", scripts.ECR_LOGIN),
            run("Build", scripts.DOCKER_BUILD),
            run("Push", scripts.DOCKER_PUSH),
        ]
    else:
        steps = [*setup_steps(settings), run("Validate", scripts.VALIDATE)]
    return _job(settings, steps, **{"if": ON_DEPLOY})


def deploy_job(settings: PipelineSettings) -> dict[str, Any]:
    """One blue/green deployment; the job ends with it and fails with it."""
    steps = [*setup_steps(settings)]
    if settings.on_aws:
        steps.append(run("Image name", scripts.GITHUB_IMAGE))
    steps.append(run("Preflight", scripts.preflight(settings.platform)))
    if not settings.on_aws:
        # the runner ends a job's leftover processes, unless started
        # without its tracking id (actions/runner issue 598)
        steps.append(
            run("Start the local platform", scripts.LOCAL_UP, env={"RUNNER_TRACKING_ID": ""})
        )
    image = scripts.IMAGE if settings.on_aws else ""
    steps.append(run("Deploy", scripts.github_deploy(settings.platform, image), id="deploy"))
    steps.append(upload_reports())
    outputs = {name: expr(f"steps.deploy.outputs.{key}") for name, key in OUTPUTS.items()}
    return _job(
        settings,
        steps,
        needs="build",
        environment=environment(settings),
        concurrency=concurrency(settings),
        outputs=outputs,
    )


def upload_reports() -> dict[str, Any]:
    """The event stream and the JUnit report, whatever the outcome."""
    return {
        "name": "Keep the deployment's reports",
        "if": "always()",
        "uses": UPLOAD_ARTIFACT,
        "with": {
            "name": "bluegreen-deployment",
            # none when preflight stopped the job: GitHub warns, the job already failed
            "path": f"{scripts.EVENTS_FILE}\n{scripts.JUNIT_FILE}\n",
        },
    }


def verify_job(settings: PipelineSettings) -> dict[str, Any]:
    """After the shift: the production listener answers, with the new version."""
    steps = [
        *setup_steps(settings),
        run(
            "Deployment",
            scripts.deployed(settings.platform),
            env={"DEPLOYMENT_ID": expr("needs.deploy.outputs.deployment-id")},
        ),
        run("Verify production", scripts.VERIFY),
    ]
    return _job(settings, steps, needs="deploy")


def rollback_job(settings: PipelineSettings) -> dict[str, Any]:
    """By hand (Run workflow, action: rollback): back to the previous
    revision, an instant flip inside the termination wait, else a new
    deployment of the last good revision. It needs no deploy job, so it can
    run after one that failed or timed out with its deployment in flight."""
    steps = [*setup_steps(settings), run("Roll back", scripts.rollback(settings.platform))]
    return _job(
        settings,
        steps,
        **{"if": ON_ROLLBACK},
        environment=environment(settings),
        concurrency=concurrency(settings),
    )


def environment(settings: PipelineSettings) -> dict[str, str]:
    return {"name": settings.environment, "url": expr("env.BLUEGREEN_PROD_URL")}


def concurrency(settings: PipelineSettings) -> dict[str, Any]:
    """One deployment at a time, and never cancelled halfway by a newer run."""
    return {"group": settings.resource_group, "cancel-in-progress": False}


def generate(settings: PipelineSettings, branch: str = "main") -> str:
    """The workflow text `bluegreen ci github` writes."""
    header = (
        f"# Generated by `bluegreen ci github --platform {settings.platform}` "
        f"(bluegreen {__version__}).\n"
        "# Regenerate instead of editing; override defaults with repository or environment\n"
        "# variables (Settings > Secrets and variables > Actions). Details: docs/github.md.\n"
    )
    return render(workflow(settings, branch), header)
