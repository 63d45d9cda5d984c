"""The errors `Deployment.handle` raises for an input its phase does not take.

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

from .inputs import Input
from .transitions import Phase


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
