"""`up / down / deploy / status / history / continue / stop / rollback / logs`.

Thin: load the project (mistakes exit 2 here, before any platform hears of
them), open the platform named by `--platform` (default local, or
`BLUEGREEN_PLATFORM`) and call the `Platform` protocol; `cli.output` renders
what comes back for every platform alike. `up`, `down` and `logs` are the
local platform's own.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from ..platform import PLATFORMS, DeployRequest, Platform, open_platform, raise_for_status
from ..spec.duration import parse_duration
from ..spec.project import load_project
from ..vocabulary import Status
from .output import OUTPUTS, show_summaries, show_verdict, watch
from .spec_commands import DIR_ARGUMENT, parse_set

F = TypeVar("F", bound=Callable[..., Any])

OUTPUT_OPTION = click.option(
    "--output",
    type=click.Choice(OUTPUTS),
    default="text",
    show_default=True,
    help="text: a live view on a terminal, plain lines otherwise; json: one object per line.",
)


DEPLOYMENT_OPTION = click.option(
    "--deployment", "deployment_id", metavar="ID", help="A deployment id; default: the newest."
)


class DurationParam(click.ParamType):
    name = "duration"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        try:
            return parse_duration(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


DURATION = DurationParam()


def platform_option(command: F) -> F:
    option = click.option(
        "--platform",
        "platform_name",
        type=click.Choice(list(PLATFORMS)),
        default="local",
        show_default=True,
        envvar="BLUEGREEN_PLATFORM",
        help="Where to deploy (env BLUEGREEN_PLATFORM).",
    )
    return option(command)


def _platform(directory: Path, name: str) -> Platform:
    return open_platform(name, load_project(directory))


@click.command()
@DIR_ARGUMENT
@click.option("--foreground", is_flag=True, help="Run the daemon in this terminal (debugging).")
def up(directory: Path, foreground: bool) -> None:
    """Start the local platform for DIRECTORY: load balancer, runner, admin API."""
    from ..local.launcher import start_daemon
    from ..state_dir import StateDir

    project = load_project(directory)
    info, started = start_daemon(project.dir, foreground=foreground)
    local = project.config.local
    state = "started" if started else "already running"
    click.echo(
        f"bluegreen {state} for {directory} (pid {info.pid}): "
        f"production http://127.0.0.1:{local.prod_port}, test http://127.0.0.1:{local.test_port}"
    )
    if sys.stdout.isatty():  # the token stays out of logs
        click.echo(f"dashboard: {info.url}/#token={StateDir.of(project.dir).token()}")


@click.command()
@DIR_ARGUMENT
def down(directory: Path) -> None:
    """Drain and stop the local platform for DIRECTORY."""
    from ..local.launcher import stop_daemon

    info = stop_daemon(directory)
    click.echo(f"stopped (pid {info.pid})" if info else f"not running for {directory}")


@click.command()
@DIR_ARGUMENT
@platform_option
@click.option("--image", help="Image URI for <IMAGE_URI>.")
@click.option("--config", "config_name", help="A deployment config name for this deployment.")
@click.option("--set", "set_values", multiple=True, metavar="NAME=VALUE", help="Placeholder value.")
@click.option("--description", help="Recorded with the deployment.")
@click.option("--no-wait", is_flag=True, help="Print the deployment id and return.")
@click.option(
    "--wait-for-slot",
    is_flag=True,
    help="AWS: if another deployment holds the group/service, wait for it to end.",
)
@click.option(
    "--timeout",
    type=DURATION,
    help='Stop waiting after this long ("10m"): exit 3, the deployment goes on.',
)
@OUTPUT_OPTION
def deploy(
    directory: Path,
    platform_name: str,
    image: str | None,
    config_name: str | None,
    set_values: tuple[str, ...],
    description: str | None,
    no_wait: bool,
    wait_for_slot: bool,
    timeout: float | None,
    output: str,
) -> None:
    """Deploy DIRECTORY blue/green: exit 0 succeeded, 1 failed or rolled back,
    3 still running at --timeout."""
    platform = _platform(directory, platform_name)
    request = DeployRequest(
        image, config_name, parse_set(set_values), description, wait_for_slot=wait_for_slot
    )
    deployment_id = platform.deploy(request)
    if no_wait:
        show_verdict(platform.status(deployment_id), output)
        return
    raise_for_status(watch(platform, deployment_id, output, timeout))


@click.command()
@DIR_ARGUMENT
@DEPLOYMENT_OPTION
@platform_option
@click.option("--watch", "follow", is_flag=True, help="Follow it live until it ends.")
@OUTPUT_OPTION
def status(
    directory: Path, deployment_id: str | None, platform_name: str, follow: bool, output: str
) -> None:
    """The newest deployment (or --deployment ID): status, revision, traffic."""
    platform = _platform(directory, platform_name)
    summary = platform.status(deployment_id)
    if follow and not summary.status.terminal:
        watch(platform, summary.deployment_id, output)
        return
    show_summaries([summary], output)


@click.command()
@DIR_ARGUMENT
@platform_option
@click.option("--limit", default=20, show_default=True)
@OUTPUT_OPTION
def history(directory: Path, platform_name: str, limit: int, output: str) -> None:
    """Past deployments, newest first."""
    show_summaries(_platform(directory, platform_name).history(limit), output)


@click.command(name="continue")
@DIR_ARGUMENT
@DEPLOYMENT_OPTION
@platform_option
def continue_(directory: Path, deployment_id: str | None, platform_name: str) -> None:
    """Leave the ready wait now, or end the termination wait early."""
    _platform(directory, platform_name).continue_deployment(deployment_id)
    click.echo("continue requested")


@click.command()
@DIR_ARGUMENT
@DEPLOYMENT_OPTION
@platform_option
@click.option("--no-rollback", is_flag=True, help="Leave traffic where it is.")
@OUTPUT_OPTION
def stop(
    directory: Path, deployment_id: str | None, platform_name: str, no_rollback: bool, output: str
) -> None:
    """Stop the deployment in flight; traffic goes back to blue unless --no-rollback."""
    platform = _platform(directory, platform_name)
    summary = platform.status(deployment_id)
    platform.stop(summary.deployment_id, rollback=not no_rollback)
    watch(platform, summary.deployment_id, output)


@click.command()
@DIR_ARGUMENT
@platform_option
@click.option("--to", "to_revision", help="The revision (family:N) to deploy again.")
@OUTPUT_OPTION
def rollback(directory: Path, platform_name: str, to_revision: str | None, output: str) -> None:
    """Back to the last good revision: an instant flip while blue still runs,
    else a new deployment of it."""
    platform = _platform(directory, platform_name)
    summary = watch(platform, platform.rollback(to_revision), output)
    if summary.status is not Status.STOPPED:
        raise_for_status(summary)


@click.command()
@DIR_ARGUMENT
@click.option("--follow", "-f", is_flag=True, help="Keep printing new lines.")
@click.option("--revision", help="Whose tasks (family:N); default: the newest revision's.")
def logs(directory: Path, follow: bool, revision: str | None) -> None:
    """The local tasks' output, each line prefixed with its task id."""
    from ..state_dir import StateDir
    from ..tasks.task_logs import log_files, read_lines

    files = log_files(StateDir.of(directory), revision)
    for task_id, line in read_lines(files, follow=follow):
        click.echo(f"{task_id} | {line}")
