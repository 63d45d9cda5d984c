"""`bluegreen aws ...`: the infrastructure side of the AWS platforms (loads
boto3, so it is imported only when an `aws` command runs).

`template` prints (or writes) the CloudFormation template for the project,
sized and named from bluegreen.toml; `aws cloudformation deploy` or any
pipeline can create the stack from it.
"""

from __future__ import annotations

from pathlib import Path

import click

from ..aws.template import CONTROLLERS, render_template
from ..spec.project import load_project
from .spec_commands import DIR_ARGUMENT


@click.group()
def aws() -> None:
    """AWS: the CloudFormation stack behind aws-codedeploy and aws-ecs."""


@aws.command()
@DIR_ARGUMENT
@click.option(
    "--controller",
    type=click.Choice(CONTROLLERS),
    default="codedeploy",
    show_default=True,
    help="codedeploy: a CodeDeploy application and group; ecs: ECS built-in blue/green.",
)
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the template here instead of printing it.",
)
def template(directory: Path, controller: str, out: Path | None) -> None:
    """The CloudFormation template for DIRECTORY's service (parameters: VPC, subnets, image).

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
