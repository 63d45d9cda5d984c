"""Inputs a phase does not take: the check, and the errors `Deployment.handle` raises.

As in h11, where sending something the protocol state forbids raises
`LocalProtocolError`, an input the current phase cannot take is an error
the driver sees, never something dropped quietly. There are two kinds,
told apart by `transitions.ACCEPTED` and `transitions.STALE`: an illegal
input is the driver's mistake (a second `Started`, a probe before any
validation began); a stale one raced with the end of its phase (a probe in
flight when validation passed, a tick after the end) and is harmless. Either
way the deployment is left exactly as it was: nothing is recorded, no
action is returned, and `replay` skips the input as the original did.
"""

from __future__ import annotations

from .inputs import HookFinished, Input
from .transitions import ACCEPTED, LATE_IS_STALE, STALE, Phase, kind_of


class RejectedInput(Exception):
    """An input the deployment did not take; it changed nothing."""

    verdict = "rejected"

    def __init__(self, item: Input, phase: Phase, why: str = "") -> None:
        self.item = item
        self.phase = phase
        self.why = why
        text = f"{type(item).__name__} is {self.verdict} in {phase.value}"
        super().__init__(f"{text}: {why}" if why else text)


class IllegalInput(RejectedInput):
    """The input cannot happen in this phase: the driver fed it by mistake."""

    verdict = "illegal"


class StaleInput(RejectedInput):
    """The input raced with the end of its phase and means nothing now."""

    verdict = "stale"


def check_taken(item: Input, phase: Phase, deadline: float | None) -> None:
    """Raise unless `phase` (waiting until `deadline`) takes `item`, per the tables."""
    kind = kind_of(item)
    if phase in STALE[kind]:
        raise StaleInput(item, phase)
    if phase not in ACCEPTED[kind]:
        raise IllegalInput(item, phase)
    if isinstance(item, HookFinished) and item.event is not phase.lifecycle_event:
        raise IllegalInput(item, phase, f"the running hook is {phase.lifecycle_event}")
    if kind in LATE_IS_STALE and deadline is not None and item.at > deadline:
        raise StaleInput(item, phase, f"stamped after the deadline {deadline:g}")
