"""A deployment's schedule with times, as `plan` shows it.

Times count from the moment production traffic first moves, since how
long green takes to install and pass the gate is not known in advance;
what comes before that moment is listed with its limits instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..engine.deployment_settings import DeploymentSettings
from ..spec.duration import format_duration


@dataclass(frozen=True)
class Moment:
    at: float | None
    """Seconds after traffic first moves; None: before it, at no fixed time."""
    what: str

    def to_dict(self) -> dict[str, object]:
        return {"at": self.at, "what": self.what}

    def __str__(self) -> str:
        when = "before" if self.at is None else f"+{format_duration(self.at)}"
        return f"{when:>8}  {self.what}"


def timeline(settings: DeploymentSettings) -> list[Moment]:
    moments = [Moment(None, _install(settings)), *_gate(settings)]
    steps = settings.steps
    moments += [Moment(at, f"production {share} % on green") for at, share in steps]
    if settings.first:
        moments.append(Moment(steps[-1][0], "first deployment: no blue to terminate"))
    else:
        end = steps[-1][0] + settings.termination_wait
        wait = format_duration(settings.termination_wait)
        moments.append(Moment(end, f"blue terminated (termination_wait {wait})"))
    return moments


def _install(settings: DeploymentSettings) -> str:
    count = settings.desired_count
    tasks = f"{count} task{'s' if count != 1 else ''}"
    return f"green installed: {tasks}, healthy within {format_duration(settings.install_timeout)}"


def _gate(settings: DeploymentSettings) -> list[Moment]:
    check = settings.validation
    gate = (
        f"test listener checked: {check.consecutive_successes} good answers from "
        f"{check.path} in a row, every {format_duration(check.interval)}, within "
        f"{format_duration(check.deadline)}"
    )
    moments = [Moment(None, gate)]
    if settings.ready_wait:
        action = settings.ready_timeout_action.value
        wait = format_duration(settings.ready_wait)
        moments.append(Moment(None, f"waits for `continue` up to {wait}, then {action}"))
    return moments
