"""Entry point: the command group, lazy command loading, and the one place
errors become exit codes."""

from __future__ import annotations

import importlib
import sys

import click
from rich.console import Console
from rich.markup import escape

from .. import __version__
from ..errors import BluegreenError, ExitCode

# name -> "module:attribute"; modules load only when their command runs, so
# `bluegreen validate` never pays for boto3 or asyncio imports.
COMMANDS: dict[str, str] = {
    "validate": ".spec_commands:validate",
    "render": ".spec_commands:render",
    "init": ".spec_commands:init",
    "ci": ".ci_commands:ci",
    "up": ".deploy_commands:up",
    "down": ".deploy_commands:down",
    "deploy": ".deploy_commands:deploy",
    "plan": ".plan_commands:plan",
    "status": ".deploy_commands:status",
    "history": ".deploy_commands:history",
    "continue": ".deploy_commands:continue_",
    "stop": ".deploy_commands:stop",
    "rollback": ".deploy_commands:rollback",
    "logs": ".deploy_commands:logs",
    "build": ".image_commands:build",
    "push": ".image_commands:push",
    "aws": ".aws_commands:aws",
    "completion": ".completion_commands:completion",
}

EPILOG = """\b
Examples:
  bluegreen init .                      scaffold bluegreen.toml and appspec.yaml
  bluegreen validate examples/flask-app every problem in every file
  bluegreen up && bluegreen deploy      a local blue/green deployment
  bluegreen deploy --platform aws-codedeploy --image 1234.dkr.ecr...:abc123

Exit codes: 0 succeeded, 1 deployment failed or rolled back, 2 bad input
(nothing changed), 3 timed out waiting, 4 platform unreachable or refused,
5 `plan` found changes, 130 interrupted (Ctrl-C; a deployment already started goes on).
"""


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, _, attribute = target.partition(":")
        module = importlib.import_module(module_name, package=__package__)
        command: click.Command = getattr(module, attribute)
        return command


@click.group(cls=LazyGroup, epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="bluegreen")
def cli() -> None:
    """Zero-downtime blue/green deployments: locally, on ECS Fargate, from GitLab CI."""


def main(argv: list[str] | None = None) -> None:
    err = Console(stderr=True, highlight=False)
    try:
        result = cli.main(args=argv, prog_name="bluegreen", standalone_mode=False)
    except BluegreenError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}", markup=True, soft_wrap=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        sys.exit(ExitCode.INTERRUPTED)
    except click.ClickException as exc:
        exc.show()
        sys.exit(ExitCode.BAD_INPUT if exc.exit_code == 2 else exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(ExitCode.INTERRUPTED)
    sys.exit(result if isinstance(result, int) else ExitCode.OK)
