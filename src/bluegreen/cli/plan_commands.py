"""`bluegreen plan`: what a deploy would change, without changing anything.

Thin: the platform reads what runs now, `bluegreen.plan` compares and lays
out the schedule, and this prints it. The exit status says whether there
is anything to deploy, as `diff` does, with numbers that do not collide
with the other commands' 1-4.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..errors import ExitCode, UsageError
from ..plan import build_plan
from ..plan.render import render_text
from ..platform import DeployRequest, open_platform
from ..spec.project import load_project
from .deploy_commands import platform_option
from .spec_commands import DIR_ARGUMENT, parse_set


@click.command()
@DIR_ARGUMENT
@platform_option
@click.option("--image", help="Image URI for <IMAGE_URI>, as deploy takes it.")
@click.option("--set", "set_values", multiple=True, metavar="NAME=VALUE", help="Placeholder value.")
@click.option("--output", type=click.Choice(["text", "json"]), default="text", show_default=True)
def plan(
    directory: Path, platform_name: str, image: str | None, set_values: tuple[str, ...], output: str
) -> int:
    """Show what `deploy` would change in DIRECTORY: exit 0 nothing, 5 changes,
    2 a deploy would be refused."""
    project = load_project(directory)
    platform = open_platform(platform_name, project)
    live = platform.live(DeployRequest(image, set_values=parse_set(set_values)))
    result = build_plan(project, platform_name, live)
    if output == "json":
        click.echo(json.dumps(result.to_dict(), sort_keys=True))
    else:
        click.echo(render_text(result), nl=False)
    if result.refusals:
        raise UsageError("; ".join(result.refusals))
    return ExitCode.PLAN_CHANGES if result.changes else ExitCode.OK
