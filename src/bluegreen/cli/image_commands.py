"""`build` and `push`: the app's image through the Docker SDK.

Progress goes to stderr and only the image reference to stdout, so
`IMAGE=$(bluegreen push)` hands `deploy --image` exactly what was pushed.
"""

from __future__ import annotations

from pathlib import Path

import click

from ..images import ImageRef, build_image, connect, default_tag, push_image
from ..images.project import build_platform, local_image, push_destination
from ..images.pushed import record_pushed
from ..images.reference import check_tag
from ..spec.project import Project, load_project
from .spec_commands import DIR_ARGUMENT

TAG_OPTION = click.option(
    "--tag",
    help="Image tag; default: CI_COMMIT_SHORT_SHA, else the commit's short SHA.",
)


def _progress(text: str) -> None:
    click.echo(text, err=True, nl=False)


def _image(directory: Path, tag: str | None) -> tuple[Project, ImageRef]:
    project = load_project(directory)
    return project, local_image(project.config, check_tag(tag) if tag else default_tag(directory))


@click.command()
@DIR_ARGUMENT
@TAG_OPTION
@click.option("--dockerfile", default="Dockerfile", show_default=True, help="Inside DIRECTORY.")
@click.option(
    "--network",
    help="Network mode for RUN steps (e.g. host, none); default: the engine's.",
)
@click.option(
    "--platform",
    help="e.g. linux/amd64; default: taskdef.json's runtimePlatform.cpuArchitecture, if any.",
)
def build(
    directory: Path, tag: str | None, dockerfile: str, network: str | None, platform: str | None
) -> None:
    """Build DIRECTORY's Dockerfile as REPOSITORY:TAG and print that reference.

    REPOSITORY is [aws] ecr_repository, else the service name. The engine is
    the one DOCKER_HOST names. A failing step exits 2, naming the step.
    """
    project, ref = _image(directory, tag)
    build_image(
        connect(),
        directory,
        ref,
        dockerfile=dockerfile,
        network=network,
        platform=platform or build_platform(project.taskdef),
        on_output=_progress,
    )
    click.echo(str(ref))


@click.command()
@DIR_ARGUMENT
@TAG_OPTION
@click.option(
    "--registry",
    help="HOST[:PORT] to push to; default: the ECR registry of [aws] account_id/region.",
)
def push(directory: Path, tag: str | None, registry: str | None) -> None:
    """Push the image `bluegreen build` made and print its URI for `deploy --image`.

    ECR logins come from GetAuthorizationToken and are never printed or
    stored; other registries use Docker's own credentials (docker login).
    """
    project, ref = _image(directory, tag)
    host, login = push_destination(project.config, registry)
    target = ref.in_registry(host)
    push_image(connect(), ref, target, login=login, on_output=_progress)
    record_pushed(project.dir, str(target))
    click.echo(str(target))
