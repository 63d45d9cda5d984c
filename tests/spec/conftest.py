from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from .helpers import EXAMPLE, Result, run_main


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    """A fresh copy of the example app, free to break."""
    target = tmp_path / "app"
    shutil.copytree(EXAMPLE, target)
    return target


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    return lambda *args: run_main(capsys, *args)
