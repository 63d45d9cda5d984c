"""The real `bluegreen` command against the emulator, with polling made short."""

from __future__ import annotations

import subprocess
from pathlib import Path

from .conftest import BLUEGREEN, Emulator
from .resources import wait_for
from .steady import SteadyClient


def bluegreen(emulator: Emulator, *args: str, **more_env: str) -> subprocess.CompletedProcess[str]:
    env = {
        **emulator.env,
        **more_env,
        "AWS_MAX_ATTEMPTS": "1",
        "BLUEGREEN_AWS_POLL": "20ms",
        "BLUEGREEN_AWS_POLL_MAX": "50ms",
        "BLUEGREEN_AWS_TIMEOUT": "120s",
    }
    return subprocess.run([BLUEGREEN, *args], env=env, capture_output=True, text=True, timeout=240)


def deploy(
    emulator: Emulator,
    project_dir: Path,
    *extra: str,
    platform: str = "aws-codedeploy",
    **more_env: str,
) -> subprocess.CompletedProcess[str]:
    """`bluegreen deploy` of v2 (image web:v2, VERSION=v2) on `platform`."""
    command = ["deploy", str(project_dir), "--platform", platform]
    command += ["--image", "web:v2", "--set", "VERSION=v2", *extra]
    return bluegreen(emulator, *command, **more_env)


def deploy_under_load(
    emulator: Emulator, project_dir: Path, steady: SteadyClient, platform: str = "aws-codedeploy"
) -> subprocess.CompletedProcess[str]:
    """The CLI's deployment between two stretches of steady answers; it must succeed."""
    wait_for(lambda: len(steady.answers) > 20, "the steady client's first answers")
    done = deploy(emulator, project_dir, platform=platform)
    seen = len(steady.answers)
    wait_for(lambda: len(steady.answers) > seen + 20, "answers after the deployment")
    assert done.returncode == 0, done.stdout + done.stderr
    return done
