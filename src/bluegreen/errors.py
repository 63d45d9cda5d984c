"""Errors that say whose fault it is, each with the exit code the CLI uses.

Like h11's LocalProtocolError / RemoteProtocolError split: a `SpecError` is
the user's files (exit 2, nothing changed), a `PlatformError` is a platform
that refused or could not be reached (exit 4), `DeploymentFailed` is a
deployment that ran and failed or was rolled back (exit 1), and
`DeploymentTimedOut` is a wait that ran out (exit 3).
"""

from __future__ import annotations

from dataclasses import dataclass


class ExitCode:
    OK = 0
    DEPLOYMENT_FAILED = 1
    BAD_INPUT = 2
    TIMED_OUT = 3
    PLATFORM = 4
    PLAN_CHANGES = 5  # `plan`: a deploy would change something
    INTERRUPTED = 130  # Ctrl-C: 128 + SIGINT, as shells report it


@dataclass(frozen=True)
class Problem:
    """One thing wrong in one file: where it is and what was expected there."""

    file: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.field}" if self.field else self.file
        return f"{where}: {self.message}"


class BluegreenError(Exception):
    exit_code = ExitCode.DEPLOYMENT_FAILED


class SpecError(BluegreenError):
    """The user's files are wrong; carries every problem found, not just the first."""

    exit_code = ExitCode.BAD_INPUT

    def __init__(self, problems: list[Problem] | Problem) -> None:
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class UsageError(BluegreenError):
    """A command-line mistake that is not about a file (a bad flag value, a missing id)."""

    exit_code = ExitCode.BAD_INPUT


class PlatformError(BluegreenError):
    """A platform refused or was unreachable: AWS credentials, the daemon, Docker."""

    exit_code = ExitCode.PLATFORM


class DeploymentFailed(BluegreenError):
    exit_code = ExitCode.DEPLOYMENT_FAILED


class DeploymentTimedOut(BluegreenError):
    exit_code = ExitCode.TIMED_OUT
