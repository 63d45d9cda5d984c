"""The shell the generated pipeline runs, kept apart from its structure.

Every block is POSIX sh: on GitLab's docker images jobs run under BusyBox
ash, not bash, so no brace expansion, no `[[`, no `pipefail`. Failure is
never masked: no `cmd || true`, no loop that ends in an unconditional
`echo`; the gate itself lives in `bluegreen deploy`, whose exit code is the
job's (the classic tutorial pipeline's validate stage could never fail).
The tests run every block through `dash -n` and `busybox ash -n`.
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

REPORT = (
    "bluegreen ci report --events bluegreen-events.jsonl --junit bluegreen-validation.xml"
    " --dotenv bluegreen.env --"
)


def preflight(platform: str) -> str:
    """Before anything deploys: a missing setting is exit 2 naming the variable."""
    return f'bluegreen ci preflight "$BLUEGREEN_DIR" --platform {platform}'


def deploy(platform: str, with_image: bool) -> str:
    """`bluegreen deploy` under `ci report`, which passes its exit code through."""
    image = ' --image "$BLUEGREEN_IMAGE"' if with_image else ""
    return (
        f'{REPORT} bluegreen deploy "$BLUEGREEN_DIR" --platform {platform}{image}'
        ' --until "$BLUEGREEN_DEPLOY_UNTIL" --output json'
    )


def deployed(platform: str) -> str:
    """The deployment the deploy job ran (DEPLOYMENT_ID from its dotenv report)."""
    return f'bluegreen status "$BLUEGREEN_DIR" --deployment "$DEPLOYMENT_ID" --platform {platform}'


VERIFY = (
    'bluegreen ci verify "$BLUEGREEN_PROD_URL$BLUEGREEN_VERIFY_PATH"'
    ' --expect "$BLUEGREEN_VERIFY_EXPECT"'
)


def rollback(platform: str) -> str:
    return f'bluegreen rollback "$BLUEGREEN_DIR" --platform {platform}'
