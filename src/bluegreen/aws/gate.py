"""The test-listener gate: validate green before production traffic moves.

While the deployment waits in Ready, green already answers on the test
listener and production is still on blue. The gate asks the health path
there until it gets `consecutive_successes` healthy answers in a row
(ALB's matcher decides what healthy is) within `deadline`, then runs the
optional smoke command with `BLUEGREEN_TEST_URL` set. Unlike a shell loop
in a pipeline, it can fail, and its verdict decides continue vs rollback.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path

import httpx

from ..engine.events import Event, EventKind
from ..shell import run_shell
from ..spec.config import BluegreenConfig
from ..vocabulary import Status
from .progress import note

OUTPUT_TAIL = 2000


@dataclass(frozen=True)
class Gate:
    url: str | None
    path: str
    consecutive: int
    interval: float
    deadline: float
    command: str | None
    healthy: Callable[[int], bool]
    workdir: Path

    @classmethod
    def from_config(cls, config: BluegreenConfig, workdir: Path) -> Gate | None:
        """The gate the config asks for, or None when there is nothing to check."""
        url, command = config.aws.test_listener_url, config.validation.command
        if url is None and command is None:
            return None
        return cls(
            url=url.rstrip("/") if url else None,
            path=config.validation_path,
            consecutive=config.validation.consecutive_successes,
            interval=config.validation.interval,
            deadline=config.validation.deadline,
            command=command,
            healthy=config.health_check.matches,
            workdir=workdir,
        )

    def run(self, deployment_id: str) -> Generator[Event, None, bool]:
        """Yield VALIDATION events; return whether green may take production traffic."""
        if self.url is not None:
            probed = yield from self._probe(deployment_id, self.url + self.path)
            if not probed:
                return False
        if self.command is not None:
            return (yield from self._smoke(deployment_id))
        return True

    def _probe(self, deployment_id: str, url: str) -> Generator[Event, None, bool]:
        streak, last = 0, ""
        with httpx.Client(timeout=max(self.interval, 1.0)) as client:
            give_up = time.monotonic() + self.deadline  # after the client exists: slow hosts
            while True:
                answer = _ask(client, url)
                ok = answer.isdigit() and self.healthy(int(answer))
                streak = streak + 1 if ok else 0
                if answer != last:
                    yield self._event(deployment_id, f"test listener {url}: {answer}")
                    last = answer
                if streak >= self.consecutive:
                    line = f"test listener healthy: {streak} consecutive answers from {url}"
                    yield self._event(deployment_id, line, result="passed")
                    return True
                if time.monotonic() >= give_up:
                    break
                time.sleep(self.interval)
        line = (
            f"test listener not healthy: no {self.consecutive} consecutive healthy answers "
            f"from {url} within {self.deadline:g}s (last: {last})"
        )
        yield self._event(deployment_id, line, result="failed")
        return False

    def _smoke(self, deployment_id: str) -> Generator[Event, None, bool]:
        assert self.command is not None
        yield self._event(deployment_id, f"running validation command: {self.command}")
        env = {"BLUEGREEN_TEST_URL": self.url or ""}
        result = asyncio.run(
            run_shell(self.command, cwd=self.workdir, env=env, timeout=self.deadline)
        )
        code, output = result.exit_code, result.output[-OUTPUT_TAIL:]
        if code is None:
            line = f"validation command timed out after {self.deadline:g}s"
            yield self._event(deployment_id, line, result="failed", output=output)
            return False
        verdict = "passed" if code == 0 else "failed"
        line = f"validation command {verdict} (exit {code})"
        yield self._event(deployment_id, line, result=verdict, output=output)
        return code == 0

    def _event(self, deployment_id: str, message: str, **details: str) -> Event:
        return note(deployment_id, Status.READY, EventKind.VALIDATION, message, **details)


def _ask(client: httpx.Client, url: str) -> str:
    """The status code as text, or why there was none."""
    try:
        return str(client.get(url).status_code)
    except httpx.HTTPError as exc:
        return f"no answer ({type(exc).__name__})"
