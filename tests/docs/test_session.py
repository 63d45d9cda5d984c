"""The doc session's promises: what carries over between blocks, what ends a
block, and that a process a block leaves behind is found."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from ..local.conftest import MARK, processes_marked
from .blocks import ShellBlock
from .session import ShellSession
from .test_shell_blocks import REPO, left_behind

MARK_VALUE = "docs-session-test"


def session(tmp_path: Path, timeout: float = 60.0, follow_seconds: float = 2.0) -> ShellSession:
    workdir = tmp_path / "work"
    (workdir / "sub").mkdir(parents=True)
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    env = {**os.environ, "PATH": path, MARK: MARK_VALUE + tmp_path.name}
    return ShellSession(
        workdir, tmp_path / "state", env, {"vpc-0abc": "vpc-1234"}, timeout, follow_seconds
    )


def block(script: str, expected_exit: int = 0) -> ShellBlock:
    return ShellBlock(Path("doc.md"), 1, script, None, expected_exit)


def test_directory_and_variables_carry_over_and_substitutions_apply(tmp_path: Path) -> None:
    shell = session(tmp_path)
    assert shell.run(block("cd sub\nIMAGE=web:v2\nexport REGION=us-east-1\n")).status == 0
    outcome = shell.run(block('echo "$(basename "$PWD") $IMAGE $REGION vpc-0abc vpc-0abcd"\n'))
    assert outcome.status == 0
    assert outcome.output == "sub web:v2 us-east-1 vpc-1234 vpc-0abcd\n"


def test_a_failing_line_ends_its_block_with_its_status(tmp_path: Path) -> None:
    shell = session(tmp_path)
    outcome = shell.run(block("echo before\n(exit 3)\necho after\n"))
    assert (outcome.status, outcome.output, outcome.as_documented) == (3, "before\n", False)
    assert shell.run(block("false | true\n")).status == 1  # pipefail
    assert shell.run(block("(exit 2)\n", expected_exit=2)).as_documented


def test_a_hung_block_is_killed(tmp_path: Path) -> None:
    outcome = session(tmp_path, timeout=1.0).run(block("echo waiting\nsleep 60\n"))
    assert (outcome.status, outcome.output) == (None, "waiting\n")
    assert "timed out" in outcome.describe()


def test_following_commands_are_bounded_and_keep_their_errors(tmp_path: Path) -> None:
    shell = session(tmp_path)
    shutil.copytree(REPO / "examples" / "flask-app", shell.workdir / "app")
    assert shell.run(block("bluegreen logs app --follow\n")).status == 0
    patient = session(tmp_path / "patient", follow_seconds=50.0)
    assert patient.run(block("bluegreen logs nowhere --follow\n")).status == 2


def test_background_jobs_are_hung_up_and_escapes_are_found(tmp_path: Path) -> None:
    shell = session(tmp_path)
    mark = shell.env[MARK]
    assert shell.run(block("sleep 60 &\n")).status == 0
    assert shell.run(block("setsid sleep 61 &\n")).status == 0
    escaped = [
        pid for pid in processes_marked(mark) if "61" in Path(f"/proc/{pid}/cmdline").read_text()
    ]
    assert left_behind(shell, mark, grace=2.0) == escaped != []
    assert processes_marked(mark) == []
