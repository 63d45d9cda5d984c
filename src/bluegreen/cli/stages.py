"""Stages a command can stop at: `deploy --until` and `status --wait-for`.

A CI job need not sit through a long bake or termination wait: it can end
once the deployment has reached a stage and leave it running, and a later
job (or a person) picks it up with `status --wait-for`. A stage counts as
reached when the deployment is at it or past it, so a deployment that had
no ready wait has still been ready, and one that succeeded has reached
every stage. Only the event stream decides, so it works the same on every
platform.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from ..engine.events import Event
from ..platform import DeploymentSummary, raise_for_status
from ..vocabulary import LifecycleEvent, Status, StepStatus


class Stage(StrEnum):
    READY = "ready"
    """Green serves the test listener; production is still on blue."""
    SHIFTED = "shifted"
    """All production traffic is on green and AfterAllowTraffic is done;
    only the termination wait (blue kept for an instant rollback) remains."""
    SUCCEEDED = "succeeded"


STAGES = tuple(s.value for s in Stage)

_PAST_READY = (
    LifecycleEvent.BEFORE_ALLOW_TRAFFIC,
    LifecycleEvent.ALLOW_TRAFFIC,
    LifecycleEvent.AFTER_ALLOW_TRAFFIC,
)
_DONE = (StepStatus.SUCCEEDED, StepStatus.SKIPPED)
_GOING = (StepStatus.IN_PROGRESS, *_DONE)


def reaches(stage: Stage, event: Event) -> bool:
    """Whether the deployment is at `stage` or past it after `event`."""
    if event.status is Status.SUCCEEDED:
        return True
    if stage is Stage.READY:
        started = event.lifecycle_event in _PAST_READY and event.step_status in _GOING
        return event.status is Status.READY or started
    if stage is Stage.SHIFTED:
        return event.lifecycle_event is LifecycleEvent.AFTER_ALLOW_TRAFFIC and (
            event.step_status in _DONE
        )
    return False


@dataclass
class Until:
    """Follows an event stream up to a stage and remembers whether it got there."""

    stage: Stage
    reached: bool = False

    def through(self, events: Iterable[Event]) -> Iterator[Event]:
        for event in events:
            yield event
            if reaches(self.stage, event):
                self.reached = True
                return

    def raise_unless_reached(self, summary: DeploymentSummary) -> None:
        """Exit 0 at the stage; otherwise the deployment ended first, and
        its outcome says why (1 failed or rolled back)."""
        if not self.reached:
            raise_for_status(summary)
