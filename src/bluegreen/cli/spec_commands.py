"""`validate`, `render`, `init`: the commands over the spec files. Thin:
parse arguments, call `bluegreen.spec`, print."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..errors import UsageError
from ..spec.appspec import TASK_DEFINITION_ARN, render_appspec
from ..spec.project import load_project
from ..spec.scaffold import STATE_IGNORE, guess_project, ignore_state, scaffold
from ..spec.taskdef import placeholders, render_taskdef

DIR_ARGUMENT = click.argument(
    "directory", default=".", type=click.Path(file_okay=False, path_type=Path)
)


@click.command()
@DIR_ARGUMENT
def validate(directory: Path) -> None:
    """Check bluegreen.toml, taskdef.json and the AppSpec in DIRECTORY.

    Reports every problem in every file (file, field, what was expected)
    and exits 2 if there is any.
    """
    project = load_project(directory)
    config = project.config
    filled_at_render = placeholders(project.taskdef)
    files = ", ".join(
        p.name for p in (project.config_path, project.taskdef_path, project.appspec_path)
    )
    click.echo(
        f"ok: {directory}: {files} "
        f"(service {config.service.name}, container {config.service.container}:"
        f"{config.service.container_port}, {config.deployment.config.display_name})"
    )
    if filled_at_render:
        click.echo(f"placeholders filled at render: {', '.join(filled_at_render)}")
    for warning in project.appspec.hook_name_warnings(str(project.appspec_path)):
        click.echo(f"warning: {warning}", err=True)


def parse_set(values: tuple[str, ...]) -> dict[str, str]:
    result = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise UsageError(f"--set {item!r}: expected NAME=value")
        result[name] = value
    return result


@click.command()
@DIR_ARGUMENT
@click.option("--image", help="Image URI for <IMAGE_URI>.")
@click.option(
    "--set",
    "set_values",
    multiple=True,
    metavar="NAME=VALUE",
    help="Value for a <NAME> or ${NAME} placeholder (repeatable).",
)
@click.option(
    "--what",
    type=click.Choice(["taskdef", "appspec", "revision"]),
    default="taskdef",
    show_default=True,
    help="Which document to print.",
)
@click.option(
    "--task-definition-arn",
    help="ARN for the AppSpec's TaskDefinition "
    "(appspec/revision); default: the AppSpec's own value if it is a real ARN.",
)
def render(
    directory: Path,
    image: str | None,
    set_values: tuple[str, ...],
    what: str,
    task_definition_arn: str | None,
) -> None:
    """Print a rendered document as JSON.

    \b
    taskdef   RegisterTaskDefinition input (aws ecs register-task-definition --cli-input-json)
    appspec   the AppSpec with the task definition ARN filled in
    revision  CreateDeployment's revision (aws deploy create-deployment --revision file://...)
    """
    project = load_project(directory)
    if what == "taskdef":
        document = render_taskdef(project, image=image, set_values=parse_set(set_values))
        click.echo(json.dumps(document, indent=2))
        return
    arn = task_definition_arn or project.appspec.target.task_definition
    if not TASK_DEFINITION_ARN.fullmatch(arn):
        raise UsageError(
            f"--what {what} needs --task-definition-arn with a registered task definition, "
            f"like arn:aws:ecs:us-east-1:123456789012:task-definition/web:3; got {arn!r}"
        )
    revision = render_appspec(project, arn)
    if what == "appspec":
        click.echo(json.dumps(json.loads(revision.content), indent=2))
    else:
        click.echo(json.dumps(revision.to_codedeploy(), indent=2))


@click.command()
@DIR_ARGUMENT
@click.option("--force", is_flag=True, help="Overwrite files that exist.")
def init(directory: Path, force: bool) -> None:
    """Scaffold bluegreen.toml, appspec.yaml and taskdef.json for an existing app.

    Guesses the service name, container and port from an existing
    taskdef.json or the Dockerfile (EXPOSE, CMD), and the health check path
    from the routes the app's code defines. Adds .bluegreen/ (token, state)
    to .gitignore. Warns when the app listens on a fixed port instead of
    $PORT. Never overwrites a file unless --force is given.
    """
    guess = guess_project(directory)
    for outcome in scaffold(directory, force=force, guess=guess):
        if outcome.written:
            click.echo(f"wrote {outcome.path}")
        else:
            click.echo(f"kept {outcome.path} (exists; --force overwrites it)")
    gitignore = directory / ".gitignore"
    if ignore_state(directory):
        click.echo(f"added {STATE_IGNORE} to {gitignore} (the token and state stay out of git)")
    else:
        click.echo(f"{gitignore} already ignores {STATE_IGNORE}")
    if guess.health_where:
        click.echo(f"health check path {guess.health_path} (the route at {guess.health_where})")
    for warning in guess.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"next: bluegreen validate {directory}")
