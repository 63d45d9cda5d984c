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
from typing import Any, NoReturn, TypeVar

import click

from ..errors import ExitCode, UsageError
from ..platform import PLATFORMS, DeployRequest, Platform, open_platform, raise_for_status
from ..spec.duration import parse_duration
from ..spec.project import load_project
from ..vocabulary import Status
from .output import OUTPUTS, show_summaries, show_targets, show_verdict, watch
from .spec_commands import DIR_ARGUMENT, parse_set
from .stages import STAGES, Stage, Until

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

TIMEOUT_OPTION = click.option(
    "--timeout",
    type=DURATION,
    help='Stop waiting after this long ("10m"): exit 3, the deployment goes on.',
)


def stage_option(name: str, text: str) -> Callable[[F], F]:
    return click.option(
        name, "stage", type=click.Choice(STAGES), help=text + " (ready, shifted, succeeded)."
    )


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
@click.option(
    "--reset-state",
    is_flag=True,
    help="Move .bluegreen/state.db (with its -wal and -shm) aside to state.db.corrupt-<time> "
    "and start with an empty one: deployment history and the stable revision are forgotten "
    "(the moved file is kept). For a state.db bluegreen cannot read; refused while the "
    "daemon runs.",
)
def up(directory: Path, foreground: bool, reset_state: bool) -> None:
    """Start the local platform for DIRECTORY: load balancer, runner, admin API."""
    from ..local.launcher import start_daemon
    from ..local.local_platform import LocalPlatform
    from ..local.state_check import check_state, prepare_state

    project = load_project(directory)
    state = prepare_state(project.dir)

    def checked() -> None:
        if (moved := check_state(state, reset_state)) is not None:
            click.echo(f"moved the old state aside to {moved}")

    info, started = start_daemon(project.dir, foreground=foreground, before_launch=checked)
    if not started and reset_state:
        raise UsageError("--reset-state: the daemon is running; `bluegreen down` first")
    if not started:  # running with the files of its own `up`, which may have been edited
        LocalPlatform(project).refuse_restart_edits()
    local = project.config.local
    said = "started" if started else "already running"
    click.echo(
        f"bluegreen {said} for {directory} (pid {info.pid}): "
        f"production http://127.0.0.1:{local.prod_port}, test http://127.0.0.1:{local.test_port}"
    )
    if sys.stdout.isatty():  # the token stays out of logs
        click.echo(f"dashboard: {info.url}/#token={state.token()}")


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
@TIMEOUT_OPTION
@stage_option("--until", "Exit 0 once the deployment reaches this stage and leave it running")
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
    stage: str | None,
    output: str,
) -> None:
    """Deploy DIRECTORY blue/green: exit 0 succeeded (or reached --until),
    1 failed or rolled back, 3 still running at --timeout."""
    if no_wait and (stage or timeout is not None):
        raise UsageError("--no-wait returns at once: it takes neither --until nor --timeout")
    platform = _platform(directory, platform_name)
    request = DeployRequest(
        image, config_name, parse_set(set_values), description, wait_for_slot=wait_for_slot
    )
    deployment_id = platform.deploy(request)
    if no_wait:
        show_verdict(platform.status(deployment_id), output)
        return
    try:
        follow(platform, deployment_id, output, timeout, stage)
    except KeyboardInterrupt:
        _interrupted(directory, platform_name, deployment_id)


def _interrupted(directory: Path, platform_name: str, deployment_id: str) -> NoReturn:
    """Ctrl-C stops the watching, not the deployment: say so, and how to reach it."""
    where = (
        f"{directory}" if platform_name == "local" else f"--platform {platform_name} {directory}"
    )
    click.echo(
        f"\ninterrupted: deployment {deployment_id} goes on.\n"
        f"  follow it: bluegreen status --watch {where}\n"
        f"  stop it:   bluegreen stop {where}",
        err=True,
    )
    raise click.exceptions.Exit(ExitCode.INTERRUPTED)


def follow(
    platform: Platform, deployment_id: str, output: str, timeout: float | None, stage: str | None
) -> None:
    """Watch to the end, or to `stage`; the exit code says which came first."""
    if stage is None:
        raise_for_status(watch(platform, deployment_id, output, timeout))
        return
    until = Until(Stage(stage))
    until.raise_unless_reached(watch(platform, deployment_id, output, timeout, until))


@click.command()
@DIR_ARGUMENT
@DEPLOYMENT_OPTION
@platform_option
@click.option("--watch", "live", is_flag=True, help="Follow it live until it ends.")
@stage_option("--wait-for", "Follow it until it reaches this stage: exit 0, or 1 if it ends first")
@TIMEOUT_OPTION
@OUTPUT_OPTION
def status(
    directory: Path,
    deployment_id: str | None,
    platform_name: str,
    live: bool,
    stage: str | None,
    timeout: float | None,
    output: str,
) -> None:
    """The newest deployment (or --deployment ID): status, revision, traffic."""
    if timeout is not None and not (live or stage):
        raise UsageError("--timeout: only with --watch or --wait-for")
    platform = _platform(directory, platform_name)
    summary = platform.status(deployment_id)
    if stage is not None and summary.status.terminal:
        show_summaries([summary], output)
        raise_for_status(summary)
    elif stage is not None:
        follow(platform, summary.deployment_id, output, timeout, stage)
    elif live and not summary.status.terminal:
        watch(platform, summary.deployment_id, output, timeout)
    else:
        show_summaries([summary], output)
        show_targets(summary, output)
        if output == "text" and "metrics_url" in summary.details:
            url = summary.details["metrics_url"]
            click.echo(f"metrics: {url} (Bearer token: .bluegreen/token)")


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
    """Back to the newest revision that served and was not rolled away from (or
    --to): an instant flip while blue still runs, else a new deployment of it;
    exit 2 naming what was considered if there is none."""
    platform = _platform(directory, platform_name)
    summary = watch(platform, platform.rollback(to_revision), output)
    if summary.status is not Status.STOPPED:
        raise_for_status(summary)


@click.command()
@DIR_ARGUMENT
@click.option("--follow", "-f", is_flag=True, help="Keep printing new lines, of new tasks too.")
@click.option("--revision", help="Whose tasks (family:N); default: the newest revision's.")
def logs(directory: Path, follow: bool, revision: str | None) -> None:
    """The local tasks' output in time order, each line with its time and task id;
    with --follow, new deployments' tasks appear as they start."""
    from ..state_dir import StateDir
    from ..tasks.task_logs import read_lines
    from .output import log_line

    load_project(directory)  # a directory that holds no project is an error, as for status
    state = StateDir.of(directory)
    if state.path.exists() and not state.path.is_dir():
        raise state.not_a_directory()
    shown = False
    for line in read_lines(state, revision, follow=follow):
        click.echo(log_line(line))
        shown = True
    if not shown:  # an empty answer would look like tasks that print nothing
        which = f" of revision {revision}" if revision else ""
        click.echo(f"no task output{which} in {state.logs}", err=True)
