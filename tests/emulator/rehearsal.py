"""What the platform tests (`test_codedeploy_platform.py`, `test_ecs_platform.py`)
share: this process's environment pointed at the emulator with quick polling,
so a platform called in-process talks to it as the CLI would, and the
rehearsal's project and production listener."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from bluegreen.spec.project import Project, load_project

from .conftest import Emulator
from .resources import Alb

POLLING = {
    "AWS_MAX_ATTEMPTS": "1",
    "BLUEGREEN_AWS_POLL": "20ms",
    "BLUEGREEN_AWS_POLL_MAX": "50ms",
    "BLUEGREEN_AWS_TIMEOUT": "120s",
}


def aim_at(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the emulator's AWS_* and POLLING: no setting of the caller's shell leaks in."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "BLUEGREEN_")) and name != "BLUEGREEN_REQUIRE_HARNESSES":
            monkeypatch.delenv(name)
    for name, value in {**emulator.env, **POLLING}.items():
        if name.startswith("AWS_") or name in POLLING:
            monkeypatch.setenv(name, value)


@dataclass
class Rehearsal:
    """One emulated account's ALB and the project that deploys behind it."""

    emulator: Emulator
    alb: Alb
    root: Path

    def project(self, **env: str) -> Project:
        return load_project(self.root, env={**os.environ, **env})

    def serves(self) -> str:
        return httpx.get(self.alb.prod_url, timeout=10).text.strip()

    def crashing_green(self) -> None:
        """The next revision's tasks exit at once (the test app's APP_MODE=crash)."""
        taskdef = self.root / "taskdef.json"
        document = json.loads(taskdef.read_text())
        document["containerDefinitions"][0]["environment"].append(
            {"name": "APP_MODE", "value": "crash"}
        )
        taskdef.write_text(json.dumps(document))
