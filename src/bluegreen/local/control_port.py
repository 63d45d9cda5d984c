"""What the controller needs from the rest of the local platform, and nothing more.

The controller performs the engine's actions; this Protocol is the list of
those actions in the platform's terms (launch green, terminate a task set,
set a listener's weights, record an event, persist an input, read green's
metrics, run a hook), plus the facts it asks about (green's healthy
count, a green task listening on the wrong port, the listeners' URLs) and
its last word (`finished`). `LocalService` implements it over real task
sets, listeners and the store; the controller's unit tests implement it
with a recorder. Keeping it narrow is what keeps the
controller free of the service (no import cycle) and testable with a fake
clock.
"""

from __future__ import annotations

from collections.abc import Coroutine, Mapping
from pathlib import Path
from typing import Any, Protocol

from ..engine.actions import ListenerRole
from ..engine.events import Event, Weights
from ..engine.inputs import TaskSetRole
from ..lb.metrics import MetricsSnapshot
from ..shell import ShellResult
from ..vocabulary import Status


class ControlPort(Protocol):
    project_dir: Path
    prod_url: str
    test_url: str

    async def persist_input(self, deployment_id: str, payload: dict[str, Any]) -> None:
        """Store an engine input; returns once it is written (before it is handled)."""

    async def launch_green(self, revision: str, count: int) -> None:
        """Start green's tasks; raises (any error) when they cannot be started."""

    def terminate(self, role: TaskSetRole) -> Coroutine[Any, Any, None]:
        """Drain the task set's targets, then stop its tasks. Which task set that is
        is settled when this is called, not when the coroutine first runs."""

    def set_weights(self, weights: Weights, listener: ListenerRole | None = None) -> None:
        """Point one listener (None: both) at blue and green with these weights."""

    def record(self, event: Event) -> None:
        """Append an event to the deployment's log and publish it to followers."""

    def healthy_green(self) -> int:
        """How many of green's current tasks have a healthy target."""

    def misbound_green(self) -> str | None:
        """`task N listens on …, not on $PORT=…` when one of green's tasks, whose
        checks are refused, listens on another port; None otherwise."""

    def green_metrics(self, window: float) -> MetricsSnapshot:
        """Green's requests, errors and latency over the last `window` seconds."""

    async def run_hook(
        self, command: str, env: Mapping[str, str], timeout: float, cwd: Path
    ) -> ShellResult:
        """A hook's command in `cwd` (its revision's snapshot, or the project directory)."""

    def finished(self, deployment_id: str, status: Status, green_left_running: bool) -> None:
        """The deployment ended; green becomes live on success, or is left as it is."""
