"""`bluegreen aws ...`: the infrastructure side of the AWS platforms (loads
boto3, so it is imported only when an `aws` command runs).

`template` prints (or writes) the CloudFormation template for the project,
sized and named from bluegreen.toml; `bootstrap` creates or updates the
stack from it and prints the `[aws]` settings its outputs give.
"""

from __future__ import annotations

from pathlib import Path

import click

from ..aws.bootstrap import deploy_stack, settings_toml
from ..aws.follow import Polling
from ..aws.session import AwsClients
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
    text = render_template(load_project(directory).config, controller)
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
def bootstrap(
    directory: Path,
    controller: str,
    vpc_id: str,
    subnets: str,
    image: str | None,
    stack_name: str | None,
) -> None:
    """Create or update the stack and print its [aws] settings."""
    config = load_project(directory).config
    clients = AwsClients(config.aws.region)
    stack = stack_name or f"bluegreen-{config.service.name}"
    parameters = {"VpcId": vpc_id, "SubnetIds": subnets}
    if image:
        parameters["ImageUri"] = image
    polling = Polling.from_env(timeout=3600.0)
    click.echo(f"deploying stack {stack} in {clients.region} ...", err=True)
    outputs = deploy_stack(
        clients, stack, render_template(config, controller), parameters, polling.first
    )
    for key, value in outputs.items():
        click.echo(f"{key}: {value}", err=True)
    click.echo(
        "put this [aws] table in bluegreen.toml: execution_role_arn and log_group fill "
        "<EXECUTION_ROLE_ARN> and <LOG_GROUP> in taskdef.json",
        err=True,
    )
    click.echo(settings_toml(outputs, clients.region), nl=False)
