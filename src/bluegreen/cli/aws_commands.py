"""`bluegreen aws ...`: the infrastructure side of the AWS platforms (loads
boto3, so it is imported only when an `aws` command runs).

`template` prints (or writes) the CloudFormation template for the project,
sized and named from bluegreen.toml; `bootstrap` creates or updates the
stack from it and prints the `[aws]` settings its outputs give.
"""

from __future__ import annotations

from pathlib import Path

import click

from ..aws.bootstrap import deploy_stack, stack_settings
from ..aws.follow import Polling
from ..aws.session import AwsClients
from ..aws.settings_table import render_table, write_settings
from ..aws.template import CONTROLLERS, render_template
from ..spec.project import load_project
from .spec_commands import DIR_ARGUMENT


@click.group()
def aws() -> None:
    """AWS: the CloudFormation stack behind aws-codedeploy and aws-ecs."""


CONTROLLER_OPTION = click.option(
    "--controller",
    type=click.Choice(CONTROLLERS),
    default="codedeploy",
    show_default=True,
    help="codedeploy: a CodeDeploy application and group; ecs: ECS built-in blue/green.",
)


@aws.command()
@DIR_ARGUMENT
@CONTROLLER_OPTION
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the template here instead of printing it.",
)
def template(directory: Path, controller: str, out: Path | None) -> None:
    """Print the CloudFormation template for DIRECTORY's service.

    Parameters: VpcId, SubnetIds, ImageUri, ServiceTaskDefinition (empty on
    create; on an update, the service's task definition: see docs/aws.md).

    \b
    Then, for example:
      aws cloudformation deploy --template-file stack.yaml --stack-name web \\
        --capabilities CAPABILITY_IAM \\
        --parameter-overrides VpcId=vpc-... SubnetIds=subnet-a,subnet-b
    """
    notes: list[str] = []
    text = render_template(load_project(directory).config, controller, notes)
    for line in notes:
        click.echo(line, err=True)
    if out is None:
        click.echo(text, nl=False)
        return
    out.write_text(text, encoding="utf-8")
    click.echo(f"wrote {out} ({controller} controller)")


@aws.command()
@DIR_ARGUMENT
@CONTROLLER_OPTION
@click.option("--vpc", "vpc_id", required=True, help="VPC id (vpc-...).")
@click.option("--subnets", required=True, help="Comma-separated subnet ids in two or more AZs.")
@click.option("--image", help="Image of the first revision (default: a public nginx).")
@click.option("--stack-name", help="Default: bluegreen-<service>.")
@click.option(
    "--write", is_flag=True, help="Replace bluegreen.toml's [aws] table instead of printing one."
)
def bootstrap(
    directory: Path,
    controller: str,
    vpc_id: str,
    subnets: str,
    image: str | None,
    stack_name: str | None,
    write: bool,
) -> None:
    """Create or update the stack and print its [aws] settings (or --write them)."""
    project = load_project(directory)
    config = project.config
    clients = AwsClients(config.aws.region)
    stack = stack_name or f"bluegreen-{config.service.name}"
    parameters = {"VpcId": vpc_id, "SubnetIds": subnets}
    if image:
        parameters["ImageUri"] = image
    polling = Polling.from_env(timeout=3600.0)
    notes: list[str] = []
    text = render_template(config, controller, notes)
    for line in notes:
        click.echo(line, err=True)
    click.echo(f"deploying stack {stack} in {clients.region} ...", err=True)
    outputs = deploy_stack(clients, stack, text, parameters, polling.first)
    for key, value in outputs.items():
        click.echo(f"{key}: {value}", err=True)
    settings = stack_settings(outputs, clients.region)
    if write:
        write_settings(project.config_path, settings)
        click.echo(f"wrote the [aws] table in {project.config_path}", err=True)
        return
    click.echo(
        "put this [aws] table in bluegreen.toml (or run again with --write): "
        "execution_role_arn and log_group fill <EXECUTION_ROLE_ARN> and <LOG_GROUP> "
        "in taskdef.json",
        err=True,
    )
    click.echo(render_table(settings), nl=False)


@aws.command()
@click.option("--port", default=4566, show_default=True, help="Port on 127.0.0.1.")
@click.option(
    "--state",
    "state_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=".bluegreen-emulator",
    show_default=True,
    help="Directory for the tasks' logs and files.",
)
@click.option(
    "--project",
    "project_dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=".",
    show_default=True,
    help="The project whose bluegreen.toml [local] settings run the tasks.",
)
@click.option(
    "--time-scale",
    type=click.FloatRange(min=0.0001, max=1.0),
    default=1.0,
    show_default=True,
    help="Multiply every AWS duration (intervals, delays, wait minutes) by this.",
)
@click.option(
    "--lambda",
    "lambdas",
    multiple=True,
    metavar="NAME=COMMAND",
    help="The local command that stands for Lambda NAME in AppSpec hooks.",
)
def emulate(
    port: int, state_dir: Path, project_dir: Path, time_scale: float, lambdas: tuple[str, ...]
) -> None:
    """A local AWS endpoint (CodeDeploy, ECS, ELBv2) that runs real tasks and
    shifts real traffic; stops on SIGTERM or Ctrl-C. See docs/emulator.md."""
    from ..emulator.emulate import EmulatorSettings, serve

    commands = dict(item.partition("=")[::2] for item in lambdas)
    if any(not name or not command for name, command in commands.items()):
        raise click.BadParameter("expected NAME=COMMAND", param_hint="--lambda")
    settings = EmulatorSettings(
        port=port,
        state_dir=state_dir,
        project_dir=project_dir,
        lambdas=commands,
        time_scale=time_scale,
    )
    serve(settings)
