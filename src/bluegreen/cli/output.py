"""Rendering a deployment's event stream, written once for every platform.

Three forms of the same `engine.events.Event` records: a rich live view
(lifecycle steps, green's targets, the traffic split, recent messages) when
stdout is a terminal; one plain line per event otherwise (CI logs); and
`--output json`, one JSON object per line, for machines. `watch` follows a
deployment on any `Platform` and returns its final summary, which the
command turns into an exit code with `platform.raise_for_status`.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from queue import Empty, Queue
from types import TracebackType
from typing import Any, Protocol

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from ..engine.events import Event, EventKind, Weights
from ..platform import DeploymentSummary, Platform, raise_for_status
from ..vocabulary import LifecycleEvent, Status, StepStatus

OUTPUTS = ("text", "json")

_STEP_MARKS = {
    StepStatus.PENDING: ("·", "dim"),
    StepStatus.IN_PROGRESS: ("…", "yellow"),
    StepStatus.SUCCEEDED: ("✓", "green"),
    StepStatus.FAILED: ("✗", "red"),
    StepStatus.SKIPPED: ("-", "dim"),
}
_STATUS_STYLES = {
    Status.SUCCEEDED: "bold green",
    Status.FAILED: "bold red",
    Status.STOPPED: "bold yellow",
    Status.READY: "bold cyan",
}


class EventSink(Protocol):
    def __enter__(self) -> EventSink: ...

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    def show(self, event: Event) -> None: ...


class JsonLines:
    """One JSON object per event, flushed at once so pipes see progress."""

    def __init__(self, stream: Any = None) -> None:
        self.stream = stream or sys.stdout

    def __enter__(self) -> JsonLines:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def show(self, event: Event) -> None:
        self.stream.write(json.dumps(event.to_dict(), sort_keys=True) + "\n")
        self.stream.flush()


class PlainLines:
    """One readable line per event, for logs without a terminal."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def __enter__(self) -> PlainLines:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def show(self, event: Event) -> None:
        self.console.print(format_line(event), markup=False, highlight=False, soft_wrap=True)


def format_line(event: Event) -> str:
    """`12:00:01 [traffic] production traffic: blue 80% green 20%`; a failed probe or
    hook also says why, in the last line of what it printed."""
    clock = time.strftime("%H:%M:%S", time.localtime(event.time))
    line = f"{clock} [{event.kind.value}] {event.message}"
    why = str(event.details.get("detail") or event.details.get("output") or "").strip()
    if event.details.get("ok") is False and why:
        line += f" ({why.splitlines()[-1][:160]})"
    return line


class LiveView:
    """A live panel redrawn on each event: the state of the deployment at a glance."""

    def __init__(self, console: Console, history: int = 8) -> None:
        self.console = console
        self.deployment_id = ""
        self.status = Status.CREATED
        self.steps = {e: StepStatus.PENDING for e in LifecycleEvent}
        self.targets: dict[str, str] = {}
        self.weights: Weights | None = None
        self.lines: deque[str] = deque(maxlen=history)
        self.live = Live(console=console, auto_refresh=False, transient=False)

    def __enter__(self) -> LiveView:
        self.live.__enter__()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.live.__exit__(kind, exc, tb)

    def show(self, event: Event) -> None:
        self.deployment_id = event.deployment_id
        self.status = event.status
        if event.lifecycle_event and event.step_status:
            self.steps[event.lifecycle_event] = event.step_status
        if event.weights:
            self.weights = event.weights
        if event.kind is EventKind.TARGET and "target" in event.details:
            self.targets[str(event.details["target"])] = str(event.details.get("state", "?"))
        self.lines.append(format_line(event))
        self.live.update(self.render(), refresh=True)

    def render(self) -> Group:
        title = Text.assemble(
            ("deployment ", "bold"),
            (self.deployment_id, "bold"),
            "  ",
            (self.status.value, _STATUS_STYLES.get(self.status, "bold yellow")),
            (
                "  waiting for `bluegreen continue` (or `stop`)"
                if self.status is Status.READY
                else ""
            ),
        )
        return Group(title, self._steps_table(), traffic_bar(self.weights), *self._detail())

    def _steps_table(self) -> Table:
        table = Table.grid(padding=(0, 1))
        for step, state in self.steps.items():
            mark, style = _STEP_MARKS[state]
            table.add_row(Text(mark, style=style), Text(step.value), Text(state.value, style="dim"))
        return table

    def _detail(self) -> list[Text]:
        targets = [
            Text.assemble(f"  green {t} ", (s, "green" if s == "healthy" else "yellow"))
            for t, s in sorted(self.targets.items())
            if s != "unused"
        ]
        recent = [Text(line, style="dim") for line in self.lines]
        return [*targets, *recent]


def traffic_bar(weights: Weights | None, width: int = 40) -> Text:
    """`blue ████████░░ green` with the percentages, proportional to the split."""
    if weights is None:
        return Text("traffic  (no production traffic shifted yet)", style="dim")
    blue_cells = round(width * weights.blue / 100)
    return Text.assemble(
        "traffic  ",
        (f"blue {weights.blue:>3}% ", "blue"),
        ("█" * blue_cells, "blue"),
        ("█" * (width - blue_cells), "green"),
        (f" {weights.green:>3}% green", "green"),
    )


def sink_for(output: str, console: Console | None = None) -> EventSink:
    """The live view on a terminal, plain lines elsewhere, JSON lines when asked."""
    if output == "json":
        return JsonLines()
    console = console or Console(highlight=False)
    if console.is_terminal:
        return LiveView(console)
    return PlainLines(console)


def render(events: Iterable[Event], output: str, console: Console | None = None) -> None:
    with sink_for(output, console) as sink:
        for event in events:
            sink.show(event)


def watch(
    platform: Platform, deployment_id: str, output: str, timeout: float | None = None
) -> DeploymentSummary:
    """Follow a deployment to its end, then print the verdict; the final summary.
    After `timeout` seconds stop following (the deployment goes on): exit 3."""
    console = Console(highlight=False)
    events = platform.events(deployment_id, follow=True)
    timed_out = False
    try:
        render(events if timeout is None else _until(events, timeout), output, console)
    except TimeoutError:
        timed_out = True
    summary = platform.status(deployment_id)
    show_verdict(summary, output, console)
    if timed_out:
        raise_for_status(summary, timed_out=True)
    return summary


def _until(events: Iterator[Event], timeout: float) -> Iterator[Event]:
    """The events that come within `timeout`; raises TimeoutError after it.
    A daemon thread reads the (blocking) source, so giving up never waits on it."""
    queue: Queue[Event | None] = Queue()

    def pump() -> None:
        try:
            for event in events:
                queue.put(event)
        finally:
            queue.put(None)

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + timeout
    while True:
        try:
            event = queue.get(timeout=max(0.0, deadline - time.monotonic()))
        except Empty:
            raise TimeoutError from None
        if event is None:
            return
        yield event


def show_verdict(summary: DeploymentSummary, output: str, console: Console | None = None) -> None:
    if output == "json":
        print(json.dumps({"verdict": summary.to_dict()}, sort_keys=True), flush=True)
        return
    console = console or Console(highlight=False)
    style = _STATUS_STYLES.get(summary.status, "bold")
    line = Text.assemble(
        (f"{summary.status.value}", style),
        f"  {summary.deployment_id}  revision {summary.revision}",
        f"  {summary.message}" if summary.message else "",
    )
    console.print(line)


def show_summaries(summaries: list[DeploymentSummary], output: str) -> None:
    """`history` and `status`: a table on a terminal, JSON lines when asked."""
    if output == "json":
        for summary in summaries:
            print(json.dumps(summary.to_dict(), sort_keys=True), flush=True)
        return
    table = Table(box=None)
    for column in ("deployment", "status", "revision", "started", "traffic"):
        table.add_column(column, no_wrap=True)
    table.add_column("message")
    for s in summaries:
        started = time.strftime("%m-%d %H:%M:%S", time.localtime(s.created))
        weights = f"{s.weights.blue}/{s.weights.green}" if s.weights else ""
        rollback = f" (rollback of {s.rollback_of})" if s.rollback_of else ""
        table.add_row(
            s.deployment_id,
            Text(s.status.value, style=_STATUS_STYLES.get(s.status, "")),
            s.revision,
            started,
            weights,
            s.message + rollback,
        )
    console = Console(highlight=False)
    if not console.is_terminal:
        console.width = 200  # logs and pipes: one row per deployment
    console.print(table)
