"""The shell the generated pipelines run, kept apart from their structure.

One source for GitLab's jobs (`gitlab.py`), GitHub's workflow steps
(`github.py`) and the composite action (`action.py`), so the three cannot
drift. Every block is POSIX sh: on GitLab's docker images jobs run under
BusyBox ash, not bash, so no brace expansion, no `[[`, no `pipefail`;
GitHub runs the same text under bash. Failure is never masked: no
`cmd || true`, no loop that ends in an unconditional `echo`; the gate
itself lives in `bluegreen deploy`, whose exit code is the job's (the
classic tutorial pipeline's validate stage could never fail). The tests
run every block through `dash -n` and `busybox ash -n`, and the jobs under
the shell their CI runs them in.
"""

from __future__ import annotations

# pip reads PIP_INDEX_URL / PIP_EXTRA_INDEX_URL itself, so a package
# registry needs no flag here; a failed install says what to set.
INSTALL = """\
case "$BLUEGREEN_INSTALL" in
  pip)
    if ! python3 -m pip install --quiet --disable-pip-version-check "$BLUEGREEN_PACKAGE"; then
      echo "could not install BLUEGREEN_PACKAGE=$BLUEGREEN_PACKAGE: publish bluegreen's wheel" \\
        "to a package registry and set PIP_INDEX_URL or PIP_EXTRA_INDEX_URL to its index," \\
        "or set BLUEGREEN_PACKAGE to a wheel URL (docs/gitlab.md)" >&2
      exit 2
    fi ;;
  preinstalled) ;;
  *) echo "BLUEGREEN_INSTALL must be pip or preinstalled, not '$BLUEGREEN_INSTALL'" >&2; exit 2 ;;
esac"""

SHOW_VERSION = "bluegreen --version"

# boto3 and the AWS CLI both read AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE;
# without AWS_ROLE_ARN the job uses the AWS_ACCESS_KEY_ID/SECRET variables.
AWS_OIDC = """\
if [ -n "${AWS_ROLE_ARN:-}" ]; then
  AWS_WEB_IDENTITY_TOKEN_FILE="$(mktemp)"
  printf '%s' "$BLUEGREEN_ID_TOKEN" > "$AWS_WEB_IDENTITY_TOKEN_FILE"
  export AWS_WEB_IDENTITY_TOKEN_FILE
fi"""

ECR_LOGIN = (
    'ecr_password="$(aws ecr get-login-password --region "$AWS_DEFAULT_REGION")"\n'
    'printf \'%s\' "$ecr_password" | docker login --username AWS --password-stdin "$ECR_REGISTRY"'
)

# the task definition's architecture, not the runner's: an ARM runner
# would otherwise push arm64 for an X86_64 task
DOCKER_BUILD = (
    'docker build --pull --platform "$BLUEGREEN_DOCKER_PLATFORM"'
    ' --tag "$BLUEGREEN_IMAGE" "$BLUEGREEN_DIR"'
)
DOCKER_PUSH = 'docker push "$BLUEGREEN_IMAGE"'

VALIDATE = 'bluegreen validate "$BLUEGREEN_DIR"'

# The local platform's daemon keeps serving between pipelines on the shell
# runner's host; the first pipeline starts it (`up` is a no-op when running).
LOCAL_UP = 'bluegreen up "$BLUEGREEN_DIR"'

EVENTS_FILE = "bluegreen-events.jsonl"
JUNIT_FILE = "bluegreen-validation.xml"
# GitLab's dotenv report; GitHub's step outputs file has the same format
GITLAB_DOTENV = "bluegreen.env"
GITHUB_OUTPUT = '"$GITHUB_OUTPUT"'
# GitHub's run page shows what a step appends here (ci summary.py)
GITHUB_SUMMARY = '"$GITHUB_STEP_SUMMARY"'

# `--image` for the AWS platforms, whose image the build job pushed; the
# action's image input may be empty (the local platform runs no image)
IMAGE = ' --image "$BLUEGREEN_IMAGE"'
IMAGE_IF_SET = ' ${BLUEGREEN_IMAGE:+--image "$BLUEGREEN_IMAGE"}'

# GitHub has no variables made of variables, so the image name is derived
# here (unless set) and handed to the job's later steps through GITHUB_ENV.
GITHUB_IMAGE = (
    ': "${ECR_REGISTRY:=$AWS_ACCOUNT_ID.dkr.ecr.$AWS_DEFAULT_REGION.amazonaws.com}"\n'
    ': "${BLUEGREEN_IMAGE:=$ECR_REGISTRY/$ECR_REPO:$GITHUB_SHA}"\n'
    'printf \'ECR_REGISTRY=%s\\nBLUEGREEN_IMAGE=%s\\n\' "$ECR_REGISTRY" "$BLUEGREEN_IMAGE"'
    ' >> "$GITHUB_ENV"'
)


def preflight(platform: str) -> str:
    """Before anything deploys: a missing setting is exit 2 naming the variable."""
    return f'bluegreen ci preflight "$BLUEGREEN_DIR" --platform {platform}'


def report(dotenv: str, summary: str = "") -> str:
    """`bluegreen ci report` writing the events, the JUnit report and the
    deployment id (DEPLOYMENT_ID=...) to `dotenv`, and on GitHub a summary;
    then `--` and the command."""
    summarized = f" --summary {summary}" if summary else ""
    return (
        f"bluegreen ci report --events {EVENTS_FILE} --junit {JUNIT_FILE}"
        f" --dotenv {dotenv}{summarized} --"
    )


def deploy(platform: str, image: str = "", dotenv: str = GITLAB_DOTENV, summary: str = "") -> str:
    """`bluegreen deploy` under `ci report`, which passes its exit code through.
    `platform` may be a name or a quoted shell variable; `image` is '',
    IMAGE or IMAGE_IF_SET."""
    return (
        f'{report(dotenv, summary)} bluegreen deploy "$BLUEGREEN_DIR" --platform {platform}{image}'
        ' --until "$BLUEGREEN_DEPLOY_UNTIL" --output json'
    )


def github_deploy(platform: str, image: str) -> str:
    """The deploy step on GitHub: outputs and the run page's summary."""
    return deploy(platform, image, GITHUB_OUTPUT, GITHUB_SUMMARY)


def deployed(platform: str) -> str:
    """The deployment the deploy job ran (DEPLOYMENT_ID from its dotenv report)."""
    return f'bluegreen status "$BLUEGREEN_DIR" --deployment "$DEPLOYMENT_ID" --platform {platform}'


VERIFY = (
    'bluegreen ci verify "$BLUEGREEN_PROD_URL$BLUEGREEN_VERIFY_PATH"'
    ' --expect "$BLUEGREEN_VERIFY_EXPECT"'
)


def rollback(platform: str) -> str:
    return f'bluegreen rollback "$BLUEGREEN_DIR" --platform {platform}'
