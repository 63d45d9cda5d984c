"""One doc file's shell blocks run in order, as one reader's shell session.

Each block runs in a fresh `bash -e -o pipefail` (so a failing line ends the
block with its status, and a hung block can be killed as a whole process
group), but what a reader's shell would keep carries over from block to
block: the working directory and every variable (the prelude turns on
`set -a`, so a plain `IMAGE=$(...)` carries over as an exported one).
Daemons started by `bluegreen up` run on by themselves, as for the reader.

Two things stand between the doc's text and bash, both listed here so that a
reader of this file knows everything the test changes:

- the substitutions (test_shell_blocks.account_substitutions): the docs'
  placeholders for what belongs to an account (VPC and subnet ids), each a
  whole word, replaced by the emulated account's; the docs' account id is
  the emulator's own, and no doc block holds a secret;
- the `bluegreen` wrapper in PRELUDE: a command that follows something
  until it ends (`--watch`, `--follow`/`-f`) gets `timeout 5` (FOLLOW_SECONDS),
  and its exit 124 counts as success, since being stopped is how a reader
  ends it. (5 s, not less: on a loaded machine the CLI alone may take 3 s to
  start, and an error it would print must not be cut off.)
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from .blocks import ShellBlock

BLOCK_TIMEOUT = 180.0
"""Seconds one block may take: README's longest takes 40 s on a quiet machine
and 60 s on one running three suites at once."""

FOLLOW_SECONDS = 5.0

PRELUDE = """\
set -a
[ -f "$DOCS_STATE/env" ] && . "$DOCS_STATE/env"
[ -f "$DOCS_STATE/cwd" ] && cd "$(cat "$DOCS_STATE/cwd")"
trap 'status=$?; export -p > "$DOCS_STATE/env"; pwd > "$DOCS_STATE/cwd"; exit $status' EXIT
bluegreen() {
  case " $* " in
    *" --watch "* | *" --follow "* | *" -f "*)
      local status=0
      timeout "$DOCS_FOLLOW_SECONDS" "$(type -P bluegreen)" "$@" || status=$?
      [ $status -eq 124 ] || return $status ;;
    *) command bluegreen "$@" ;;
  esac
}
set -e -o pipefail
"""


@dataclass(frozen=True)
class Outcome:
    block: ShellBlock
    status: int | None
    """The block's exit status; None when it outlived its timeout and was killed."""
    output: str
    seconds: float

    @property
    def as_documented(self) -> bool:
        return self.status == self.block.expected_exit

    def describe(self) -> str:
        ended = "timed out" if self.status is None else f"exit {self.status}"
        got = f"{ended} after {self.seconds:.1f} s"
        tail = "\n".join(self.output.splitlines()[-25:])
        return (
            f"{self.block.where}: {got}, the doc says exit {self.block.expected_exit}\n"
            f"--- block\n{self.block.script}--- output (last lines)\n{tail}"
        )


def substituted(script: str, substitutions: dict[str, str]) -> str:
    for text, value in substitutions.items():
        script = re.sub(rf"\b{re.escape(text)}\b", value, script)
    return script


class ShellSession:
    """A reader's shell in `workdir`, with `env` as its environment."""

    def __init__(
        self,
        workdir: Path,
        state: Path,
        env: dict[str, str],
        substitutions: dict[str, str],
        timeout: float = BLOCK_TIMEOUT,
        follow_seconds: float = FOLLOW_SECONDS,
    ) -> None:
        self.workdir = workdir
        self.substitutions = substitutions
        self.timeout = timeout
        self.state = state
        state.mkdir(parents=True, exist_ok=True)
        (state / "cwd").write_text(str(workdir))
        self.env = {**env, "DOCS_STATE": str(state), "DOCS_FOLLOW_SECONDS": str(follow_seconds)}
        (state / "prelude.sh").write_text(PRELUDE)
        self.count = 0
        self.shells: set[int] = set()
        """The blocks' shells: a job a block left in the background has its session."""

    def run(self, block: ShellBlock) -> Outcome:
        self.count += 1
        script = self.state / f"block-{self.count}.sh"
        script.write_text(substituted(block.script, self.substitutions))
        command = [
            "bash",
            "--noprofile",
            "--norc",
            "-c",
            f'. "{self.state}/prelude.sh"; . "{script}"',
        ]
        started = time.monotonic()
        log = self.state / f"block-{self.count}.log"
        with log.open("w") as output:  # a file, not a pipe: a block's `&` job keeps it open
            process = subprocess.Popen(
                command,
                cwd=self.workdir,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            self.shells.add(process.pid)
            try:
                status: int | None = process.wait(timeout=self.timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                status = None
        return Outcome(block, status, log.read_text(), time.monotonic() - started)

    def hang_up(self, processes: list[int]) -> None:
        """SIGTERM to those of `processes` a block left running in the background,
        as closing the reader's terminal would."""
        for pid in processes:
            if session_of(pid) in self.shells:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)


def session_of(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[3])
    except (OSError, IndexError, ValueError):
        return None
