"""`bluegreen ci ...`: the GitLab pipeline, the GitHub workflow and the
helpers their jobs run.

`gitlab` writes the `.gitlab-ci.yml`, `github` the
`.github/workflows/bluegreen.yml`; `report` runs `bluegreen deploy
--output json` in a job, shows its progress as plain lines, passes its exit
code through and writes the JUnit and dotenv reports; `verify` asks the
production listener after the deployment.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO, TypeVar

import click
from rich.console import Console

from ..ci import github, gitlab
from ..ci import verify as production
from ..ci.junit import junit_xml
from ..ci.preflight import problems as preflight_problems
from ..ci.report import Record, dotenv, write_text
from ..ci.summary import summary_markdown
from ..errors import PlatformError, UsageError
from ..spec.project import load_project
from .output import format_line, show_verdict

F = TypeVar("F", bound=Callable[..., Any])


@click.group()
def ci() -> None:
    """CI/CD: generate a GitLab pipeline or a GitHub workflow, and the steps their jobs run."""


PLATFORM_OPTION = click.option(
    "--platform",
    type=click.Choice(gitlab.CI_PLATFORMS),
    default="aws-codedeploy",
    show_default=True,
    help="Where the pipeline deploys.",
)


@ci.command("gitlab")
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@PLATFORM_OPTION
@click.option(
    "--output",
    "output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write; '-' for stdout. Default: .gitlab-ci.yml at the repository root.",
)
def gitlab_command(directory: Path, platform: str, output: Path | None) -> None:
    """Write a .gitlab-ci.yml for the project in DIRECTORY.

    Stages build, deploy, verify and a manual rollback. The deploy job runs
    `bluegreen deploy`, which validates green on the test listener before
    production traffic moves and fails the job when the deployment fails.
    Defaults come from bluegreen.toml (environment variables are not
    applied: the file reflects the project, CI/CD variables override it).
    """
    target = output or repository_root(directory) / ".gitlab-ci.yml"
    # jobs run where GitLab reads the file: the repository root
    jobs_root = Path.cwd() if str(target) == "-" else target.resolve().parent
    write_pipeline(directory, platform, target, jobs_root, gitlab.generate)


@ci.command("github")
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@PLATFORM_OPTION
@click.option(
    "--branch",
    default="main",
    show_default=True,
    help="The branch whose pushes deploy (GitHub's `on:` takes no expression).",
)
@click.option(
    "--output",
    "output",
    type=click.Path(dir_okay=False, path_type=Path),
    help=f"File to write; '-' for stdout. Default: {github.WORKFLOW_PATH} at the repository root.",
)
def github_command(directory: Path, platform: str, branch: str, output: Path | None) -> None:
    """Write a GitHub Actions workflow for the project in DIRECTORY.

    Jobs build, deploy (with the gate: `bluegreen deploy` validates green
    on the test listener before production traffic moves and fails the job
    when the deployment fails), verify, and a rollback run by hand (Run
    workflow, action: rollback). Defaults come from bluegreen.toml;
    repository variables override them. docs/github.md.
    """
    root = repository_root(directory)
    target = output or root / github.WORKFLOW_PATH
    if output is None:
        target.parent.mkdir(parents=True, exist_ok=True)
    # GitHub runs jobs at the repository root, wherever the workflow file is
    write_pipeline(directory, platform, target, root, lambda s: github.generate(s, branch))


def write_pipeline(
    directory: Path,
    platform: str,
    target: Path,
    jobs_root: Path,
    generate: Callable[[gitlab.PipelineSettings], str],
) -> None:
    """Generate for the project in DIRECTORY, with BLUEGREEN_DIR relative to
    where the jobs run, and write it to TARGET ('-': stdout)."""
    project = load_project(directory, env={})
    project_dir = relative_dir(project.dir.resolve(), jobs_root.resolve())
    text = generate(gitlab.settings_for(project, platform, project_dir))
    if str(target) == "-":
        click.echo(text, nl=False)
        return
    target.write_text(text, encoding="utf-8")
    click.echo(f"wrote {target} (--platform {platform}, BLUEGREEN_DIR={project_dir})")


@ci.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--platform", type=click.Choice(gitlab.CI_PLATFORMS), required=True)
def preflight(directory: Path, platform: str) -> None:
    """Check, before a deploy job deploys, that the settings it needs are
    there (environment applied): exit 2 naming each variable to set."""
    project = load_project(directory)
    found = preflight_problems(project.config, platform, os.environ)
    if found:
        raise UsageError("\n".join(found))
    click.echo(f"preflight: {directory} is ready to deploy to {platform}")


def repository_root(directory: Path) -> Path:
    """The nearest directory up from DIRECTORY holding `.git`, else DIRECTORY:
    GitLab reads `.gitlab-ci.yml` at the repository root."""
    start = directory.resolve()
    for candidate in (start, *start.parents):
        if (candidate / ".git").exists():
            return candidate
    return start


def relative_dir(project: Path, root: Path) -> str:
    if not project.is_relative_to(root):
        raise UsageError(
            f"--output: the pipeline file must be at or above the project ({project}), "
            "since jobs run at the repository root"
        )
    return project.relative_to(root).as_posix() or "."


@ci.command()
@click.option(
    "--events", type=click.Path(dir_okay=False, path_type=Path), help="Keep the JSON lines here."
)
@click.option(
    "--junit", type=click.Path(dir_okay=False, path_type=Path), help="JUnit XML of the checks."
)
@click.option(
    "--dotenv",
    "dotenv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="dotenv report (DEPLOYMENT_ID).",
)
@click.option(
    "--summary",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Markdown summary appended here (GitHub: $GITHUB_STEP_SUMMARY).",
)
@click.argument("command", nargs=-1, required=True)
def report(
    events: Path | None,
    junit: Path | None,
    dotenv_path: Path | None,
    summary: Path | None,
    command: tuple[str, ...],
) -> int:
    """Run COMMAND (`bluegreen deploy ... --output json`), show its events as
    lines, write the reports, and exit with COMMAND's exit code.

    Reports are written whatever the outcome, so GitLab shows why a
    deployment failed: `bluegreen ci report --junit r.xml -- bluegreen deploy --output json`.
    """
    record = Record()
    with _events_file(events) as kept:
        try:
            child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, bufsize=1)
        except OSError as exc:
            raise PlatformError(f"can't run {command[0]}: {exc.strerror or exc}") from None
        assert child.stdout is not None
        with child.stdout:
            for line in child.stdout:
                kept.write(line)
                _show(record, line)
        code = child.wait()
    write_text(junit, junit_xml(record, left_running=code == 0))
    write_text(dotenv_path, dotenv(record))
    write_text(summary, summary_markdown(record, left_running=code == 0), append=True)
    return code if code >= 0 else 128 - code  # killed by a signal: as sh reports it


def _events_file(path: Path | None) -> TextIO:
    """Opened before the deployment starts, so a bad path changes nothing."""
    try:
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        return open(path or os.devnull, "w", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--events {path}: {exc.strerror or exc}") from None


def _show(record: Record, line: str) -> None:
    found = record.add_line(line)
    if found is None:
        sys.stdout.write(line)
    elif found is record.verdict:
        show_verdict(record.verdict, "text", Console(highlight=False, soft_wrap=True))
    else:
        click.echo(format_line(record.events[-1]))
    sys.stdout.flush()


def seconds_option(name: str, default: float, text: str) -> Callable[[F], F]:
    return click.option(
        name, default=default, show_default=True, type=click.FloatRange(0), help=text
    )


@ci.command()
@click.argument("url")
@click.option("--expect", default="", help="Text every good answer must contain.")
@click.option(
    "--successes",
    default=3,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="Good answers in a row needed.",
)
@seconds_option("--interval", 1.0, "Seconds between requests.")
@seconds_option("--deadline", 60.0, "Seconds before giving up (exit 1).")
def verify(url: str, expect: str, successes: int, interval: float, deadline: float) -> None:
    """Check that the production listener at URL answers 2xx/3xx with EXPECT
    in the body, SUCCESSES times in a row; exit 1 if it does not in time."""
    if not url.startswith(("http://", "https://")):
        raise UsageError(
            f"URL {url!r}: expected http://host[:port]/path "
            "(in the pipeline: set BLUEGREEN_PROD_URL to the production listener)"
        )
    policy = production.VerifyPolicy(
        expect=expect, successes=successes, interval=interval, deadline=deadline
    )
    production.verify(url, policy, click.echo)
