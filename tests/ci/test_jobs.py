"""The job scripts as a runner executes them: under `sh -e` (dash, BusyBox
ash), with `bluegreen deploy` replaced by a recorded event stream so the
exit code, the reports and the failure path are what is under test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bluegreen.ci import gitlab
from bluegreen.cli.output import format_line
from bluegreen.vocabulary import Status

from . import streams
from .harness import BIN, job_script, tool

FAKE = """#!/bin/sh
# `bluegreen deploy` prints a recorded stream and exits as told; the rest is real
case "$1" in
  deploy) cat "$FAKE_STREAM"; exit "$FAKE_EXIT" ;;
  *) exec "$REAL_BLUEGREEN" "$@" ;;
esac
"""


def run_deploy_job(tmp_path: Path, shell: list[str], stream: str, code: int) -> int:
    tool(shell[0])
    pipeline = yaml.safe_load(gitlab.generate(gitlab.PipelineSettings(platform="aws-ecs")))
    (tmp_path / "bin").mkdir()
    fake = tmp_path / "bin" / "bluegreen"
    fake.write_text(FAKE)
    fake.chmod(0o755)
    (tmp_path / "stream.jsonl").write_text(stream)
    (tmp_path / "job.sh").write_text(job_script(pipeline, "deploy"))
    env = {
        "PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "REAL_BLUEGREEN": str(BIN / "bluegreen"),
        "FAKE_STREAM": str(tmp_path / "stream.jsonl"),
        "FAKE_EXIT": str(code),
        "BLUEGREEN_INSTALL": "preinstalled",
        "BLUEGREEN_DIR": ".",
        "BLUEGREEN_IMAGE": "registry.invalid/app:abc1234",
    }
    done = subprocess.run([*shell, "job.sh"], cwd=tmp_path, env=env, timeout=60)
    return done.returncode


SHELLS = [["dash", "-e"], ["busybox", "ash", "-e"]]


@pytest.mark.parametrize("shell", SHELLS, ids=lambda s: s[0])
def test_a_failed_deployment_fails_the_job_and_still_reports(
    tmp_path: Path, shell: list[str]
) -> None:
    events = streams.local_validation_failure()
    text = streams.stream(events, streams.verdict(Status.FAILED, "rolled back"))
    assert run_deploy_job(tmp_path, shell, text, 1) == 1
    assert (tmp_path / "bluegreen.env").read_text().startswith(f"DEPLOYMENT_ID={streams.ID}\n")
    junit = (tmp_path / "bluegreen-validation.xml").read_text()
    assert 'failures="2"' in junit and "validation did not pass within 2s" in junit
    assert (tmp_path / "bluegreen-events.jsonl").read_text() == text


@pytest.mark.parametrize("shell", SHELLS, ids=lambda s: s[0])
def test_a_successful_deployment_passes_the_job(tmp_path: Path, shell: list[str]) -> None:
    text = streams.stream(streams.local_success(), streams.verdict(Status.SUCCEEDED))
    assert run_deploy_job(tmp_path, shell, text, 0) == 0
    assert 'failures="0"' in (tmp_path / "bluegreen-validation.xml").read_text()


def test_every_exit_code_passes_through(tmp_path: Path) -> None:
    """3 (timed out), 2 (bad input, no events at all), 4 (platform refused)."""
    for code in (3, 2, 4):
        workdir = tmp_path / str(code)
        workdir.mkdir()
        assert run_deploy_job(workdir, ["dash", "-e"], "error: something\n", code) == code
        assert (workdir / "bluegreen.env").read_text() == "DEPLOYMENT_ID=\n"


def test_report_shows_events_as_lines_and_keeps_other_output(tmp_path: Path) -> None:
    text = streams.stream(streams.hook_failure(), streams.verdict(Status.FAILED, "hook"))
    source = tmp_path / "s.jsonl"
    source.write_text("a warning\n" + text)
    printer = f"import sys; sys.stdout.write(open({str(source)!r}).read()); sys.exit(1)"
    done = subprocess.run(
        [str(BIN / "bluegreen"), "ci", "report", "--", sys.executable, "-c", printer],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0] == "a warning"
    assert lines[1] == format_line(streams.hook_failure()[0])
    assert lines[2].startswith(f"Failed  {streams.ID}  revision flask-app:4")


def test_report_of_a_command_that_does_not_exist_is_exit_4(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(BIN / "bluegreen"), "ci", "report", "--", str(tmp_path / "nope")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 4
    assert "can't run" in done.stderr and "Traceback" not in done.stderr


def test_report_with_an_unwritable_events_path_runs_nothing(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    marker = tmp_path / "deployed"
    events = tmp_path / "file" / "e.jsonl"
    done = subprocess.run(
        [
            str(BIN / "bluegreen"),
            "ci",
            "report",
            "--events",
            str(events),
            "--",
            "touch",
            str(marker),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "--events" in done.stderr
    assert "Traceback" not in done.stderr
    assert not marker.exists(), "the deployment never started"
