"""What a deployment has changed in the world, and its log of saying so.

ListenerRole weights, task sets launched and terminated, and the status are
kept beside the actions that change them and the records that report them:
each change is one method here, so it is always both performed (as an
action) and recorded, and a rollback undoes exactly what was done.
"""

from __future__ import annotations

from typing import Any

from ..vocabulary import LifecycleEvent, Status, StepStatus
from .actions import Action, LaunchTaskSet, ListenerRole, Record, SetWeights, TerminateTaskSet
from .events import ALL_BLUE, Event, EventKind, Weights
from .inputs import TaskSetRole


class Effects:
    """One deployment's footprint, its records, and the actions of the input being handled."""

    def __init__(self, deployment_id: str) -> None:
        self.deployment_id = deployment_id
        self.status = Status.CREATED
        self.weights = ALL_BLUE
        self.test_weights = ALL_BLUE
        self.green_launched = self.green_terminated = self.blue_terminated = False
        self.rolled_back = False
        self.events: list[Event] = []
        self.actions: list[Action] = []
        self.now = 0.0
        self.lifecycle_event: LifecycleEvent | None = None
        """The lifecycle event running, stamped on every record."""

    def begin(self, at: float) -> None:
        """Collect the actions of one input that arrived `at` (time never runs backwards)."""
        self.actions = []
        self.now = max(self.now, at)

    def emit(self, action: Action) -> None:
        self.actions.append(action)

    def record(
        self, kind: EventKind, message: str, *, step: StepStatus | None = None, **details: Any
    ) -> None:
        event = Event(
            time=self.now,
            deployment_id=self.deployment_id,
            kind=kind,
            status=self.status,
            message=message,
            lifecycle_event=self.lifecycle_event,
            step_status=step,
            weights=self.weights,
            details=details,
        )
        self.events.append(event)
        self.emit(Record(event))

    def set_status(self, status: Status, message: str, **details: Any) -> None:
        self.status = status
        self.record(EventKind.STATUS, message, **details)

    def set_weights(self, listener: ListenerRole, weights: Weights) -> None:
        self.emit(SetWeights(listener, weights))
        if listener is ListenerRole.TEST:
            self.test_weights = weights
        else:
            self.weights = weights
        message = f"{listener} traffic: blue {weights.blue}% green {weights.green}%"
        self.record(EventKind.TRAFFIC, message, listener=listener.value, split=weights.to_dict())

    def launch_green(self, revision: str, count: int) -> None:
        self.emit(LaunchTaskSet(TaskSetRole.GREEN, revision, count))
        self.green_launched = True

    def terminate(self, task_set: TaskSetRole) -> None:
        self.emit(TerminateTaskSet(task_set))
        if task_set is TaskSetRole.GREEN:
            self.green_terminated = True
        else:
            self.blue_terminated = True
        self.record(EventKind.TASK_SET, f"{task_set} task set terminated", task_set=task_set.value)

    def roll_back(self, reason: str, first: bool = False) -> bool:
        """Production and test traffic back to blue, green terminated; False if nothing to undo.
        A first deployment has no blue: its green is stopped and nothing serves."""
        if (self.weights, self.test_weights) == (ALL_BLUE, ALL_BLUE) and not self.green_launched:
            return False
        self.record(EventKind.ROLLBACK, f"rolling back: {reason}")
        for listener, weights in (
            (ListenerRole.PRODUCTION, self.weights),
            (ListenerRole.TEST, self.test_weights),
        ):
            if weights != ALL_BLUE:
                self.set_weights(listener, ALL_BLUE)
        if self.green_launched:
            self.terminate(TaskSetRole.GREEN)
        self.rolled_back = True
        done = (
            "rolled back: green terminated; this was the first deployment, so nothing serves yet"
            if first
            else "rolled back: all traffic on blue, green terminated"
        )
        self.record(EventKind.ROLLBACK, done)
        return True
