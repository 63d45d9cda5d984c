"""Every shell block of README.md and docs/*.md runs as written.

Each doc file gets a fresh copy of the repository's `examples/` as the
working directory (the docs' commands run from the repository root, as a
reader who cloned it would type them) and one shell session (session.py:
what carries over, and the two documented changes to the text). The local
platform listens on free ports (BLUEGREEN_LOCAL_*_PORT, as in the other
suites), so the test never collides with a daemon of the reader's or of
another suite. A doc whose blocks call AWS gets the emulator (`bluegreen
aws emulate`, as tests/emulator starts it) as the reader's account, and
nothing else: no credentials or endpoint of a real account reach a block.
A block must exit as the doc says (0 unless a `docs-test: exit N` marker
says otherwise) or carry a `docs-test: skip (why)` marker (blocks.py).
Afterwards `bluegreen down` stops every daemon the session started, the
jobs a block left in the background are hung up on, and no process
carrying the session's mark may be left.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..emulator.conftest import Emulator, aws_env, leftover_tasks, start_emulator
from ..local.conftest import MARK, processes_marked
from ..local.harness import free_port
from .blocks import ShellBlock, shell_blocks
from .session import Outcome, ShellSession

REPO = Path(__file__).resolve().parents[2]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
CALLS_AWS = re.compile(r"\baws\b|--platform aws")
NOWHERE = "http://127.0.0.1:9"
"""The AWS endpoint of a doc whose blocks call no AWS: nothing listens there."""


def reader_environment(workdir: Path, endpoint: str, mark: str) -> dict[str, str]:
    """A shell like a reader's, minus anything that reaches their own state: its
    own HOME, AWS only at `endpoint` with the emulator's credentials, no
    BLUEGREEN_* settings but free ports (the listeners' chosen now, the admin
    API's picked by the daemon)."""
    home = workdir.parent / "home"
    home.mkdir()
    env = aws_env(endpoint, home)
    env.update(
        HOME=str(home),
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        BLUEGREEN_LOCAL_PROD_PORT=str(free_port()),
        BLUEGREEN_LOCAL_TEST_PORT=str(free_port()),
        BLUEGREEN_LOCAL_ADMIN_PORT="0",
    )
    env[MARK] = mark
    return env


def account_substitutions(emulator: Emulator | None) -> dict[str, str]:
    """The docs' placeholders for an account's own ids, and the emulated account's.
    (The docs' account id, 123456789012, is the emulator's own.)"""
    if emulator is None:
        return {}
    ec2 = emulator.client("ec2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    return {
        "vpc-0abc": vpc,
        "subnet-0a": subnets[0]["SubnetId"],
        "subnet-0b": subnets[1]["SubnetId"],
    }


@contextlib.contextmanager
def aws_account(
    tmp_path: Path, workdir: Path, blocks: list[ShellBlock]
) -> Iterator[Emulator | None]:
    """The emulator as the reader's AWS account, for a doc whose blocks call AWS
    and start no emulator of their own (emulator.md does)."""
    scripts = "".join(block.script for block in blocks)
    if not CALLS_AWS.search(scripts) or "aws emulate" in scripts:
        yield None
        return
    emulator = start_emulator(tmp_path, workdir / "examples" / "flask-app")
    try:
        yield emulator
    finally:
        assert emulator.stop() == 0
        assert leftover_tasks(emulator.state_dir) == []


def stop_daemons(session: ShellSession, doc: Path) -> list[Outcome]:
    """`bluegreen down` for every project the session brought up."""
    started = sorted(info.parent.parent for info in session.workdir.rglob(".bluegreen/daemon.json"))
    return [session.run(ShellBlock(doc, 0, f'bluegreen down "{project}"\n')) for project in started]


def left_behind(session: ShellSession, mark: str, grace: float = 10.0) -> list[int]:
    """The session's processes still alive once its background jobs were hung up
    on and a grace for the ones ending has passed; they are killed, so that none
    outlives the test."""
    session.hang_up(processes_marked(mark))
    leftovers = wait_for_end(mark, grace)
    for pid in leftovers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    wait_for_end(mark, 5.0)
    return leftovers


def wait_for_end(mark: str, seconds: float) -> list[int]:
    """The processes carrying `mark` once all have ended or `seconds` passed."""
    deadline = time.monotonic() + seconds
    while (alive := processes_marked(mark)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive


@pytest.mark.slow
@pytest.mark.timeout(600)  # README's session deploys six times; a loaded machine doubles it
@pytest.mark.parametrize("doc", DOCS, ids=lambda doc: doc.name)
def test_shell_blocks_run_as_written(doc: Path, tmp_path: Path) -> None:
    blocks, problems = shell_blocks(doc)
    assert not problems, "\n".join(problems)
    runnable = [block for block in blocks if block.skip_reason is None]
    workdir = tmp_path / "bluegreen"
    shutil.copytree(
        REPO / "examples", workdir / "examples", ignore=shutil.ignore_patterns(".bluegreen")
    )
    mark = uuid.uuid4().hex
    failures: list[str] = []
    with aws_account(tmp_path, workdir, runnable) as account:
        env = reader_environment(workdir, account.url if account else NOWHERE, mark)
        session = ShellSession(workdir, tmp_path / "session", env, account_substitutions(account))
        try:
            for block in runnable:
                outcome = session.run(block)
                print(f"{block.where}: exit {outcome.status} in {outcome.seconds:.1f} s")
                if not outcome.as_documented:
                    failures.append(outcome.describe())
        finally:
            failures += [
                down.describe() for down in stop_daemons(session, doc) if not down.as_documented
            ]
            leftovers = left_behind(session, mark)
    assert not failures, "\n\n".join(failures)
    assert not leftovers, f"processes left behind by {doc.name}'s blocks: {leftovers}"
