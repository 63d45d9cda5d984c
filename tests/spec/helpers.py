"""The example app and the real CLI entry point, run in-process: `main()`
is the function the `bluegreen` console script calls."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from bluegreen.cli.main import main

EXAMPLE = Path(__file__).parents[2] / "examples" / "flask-app"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:abc1234"


@dataclass(frozen=True)
class Result:
    exit_code: int
    stdout: str
    stderr: str


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    out = capsys.readouterr()
    code = exited.value.code
    return Result(code if isinstance(code, int) else 1, out.out, out.err)
