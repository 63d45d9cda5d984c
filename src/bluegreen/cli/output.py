"""Rendering a deployment's event stream, written once for every platform.

Three forms of the same `engine.events.Event` records: a rich live view
(lifecycle steps, green's targets, the traffic split, recent messages) when
stdout is a terminal; one plain line per event otherwise (CI logs); and
`--output json`, one JSON object per line, for machines. `watch` follows a
deployment on any `Platform` and returns its final summary, which the
command turns into an exit code with `platform.raise_for_status`.

Output that is not a terminal (a pipe, a CI log) is never wrapped: rich
would break its lines at 80 columns, which splits what grep and log
viewers see. A first deployment has no blue, so its traffic is shown as
green's share alone: "blue 100%" would name tasks that never existed.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from queue import Empty, Queue
from types import TracebackType
from typing import Any, Protocol

import click
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from ..engine.events import Event, EventKind, Weights
from ..platform import DeploymentSummary, Platform, raise_for_status
from ..tasks.task_logs import LogLine
from ..vocabulary import LifecycleEvent, Status, StepStatus
from .live_panel import hint, now_lines
from .stages import Until
from .summary_fields import clock, duration_text, revisions_text, stored_note, summary_fields

OUTPUTS = ("text", "json")
NOW_INTERVAL = 1.0
"""How often the live view asks the platform what is true now (and redraws the countdown)."""
NowSource = Callable[[], "Mapping[str, Any] | None"]
UNWRAPPED_WIDTH = 10_000
"""The width given to a console that is not a terminal, so no line is broken."""

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


def make_console() -> Console:
    """A console for stdout: wrapped at a terminal's width, else not at all."""
    console = Console(highlight=False)
    if not console.is_terminal:
        console.soft_wrap = True
        console.width = UNWRAPPED_WIDTH
    return console


class PlainLines:
    """One readable line per event, for logs without a terminal; a failed hook's
    output follows its line, indented, once."""

    def __init__(self, console: Console, first: bool = False) -> None:
        self.console = console
        self.first = first

    def __enter__(self) -> PlainLines:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def show(self, event: Event) -> None:
        failed_hook = event.kind is EventKind.HOOK and event.details.get("ok") is False
        lines = [format_line(event, first=self.first, why=not failed_hook)]
        if failed_hook:
            output = str(event.details.get("output") or "").strip()
            lines += [f"    {line}" for line in output.splitlines()]
        for line in lines:
            self.console.print(line, markup=False, highlight=False, soft_wrap=True)


def format_line(event: Event, first: bool = False, why: bool = True) -> str:
    """`12:00:01 [traffic] production traffic: blue 80% green 20%`; a failed probe or
    hook also says why (unless `why` is False), in the last line of what it
    printed. In a first deployment (`first`, no blue) a traffic line gives
    green's share alone."""
    clock = time.strftime("%H:%M:%S", time.localtime(event.time))
    message = event.message
    split = event.details.get("split")
    if first and event.kind is EventKind.TRAFFIC and isinstance(split, dict):
        listener = event.details.get("listener", "production")
        message = f"{listener} traffic: green {split.get('green')}% (first deployment: no blue)"
    line = f"{clock} [{event.kind.value}] {message}"
    said = str(event.details.get("detail") or event.details.get("output") or "").strip()
    if why and event.details.get("ok") is False and said:
        line += f" ({said.splitlines()[-1][:160]})"
    return line


class LiveView:
    """A live panel redrawn on each event: the state of the deployment at a glance."""

    def __init__(
        self,
        console: Console,
        history: int = 8,
        first: bool = False,
        now: NowSource | None = None,
        where: str = "",
    ) -> None:
        self.console = console
        self.first = first
        self.where = where
        self._now_source = now
        self._now: tuple[Mapping[str, Any], float] | None = None
        self._lock = threading.Lock()
        self._polling = threading.Event()
        self.deployment_id = ""
        self.status = Status.CREATED
        self.steps = {e: StepStatus.PENDING for e in LifecycleEvent}
        self.targets: dict[str, str] = {}
        self.weights: Weights | None = None
        self.lines: deque[str] = deque(maxlen=history)
        self.live = Live(console=console, auto_refresh=False, transient=False)

    def __enter__(self) -> LiveView:
        self.live.__enter__()
        if self._now_source is not None:
            self._polling.set()
            threading.Thread(target=self._poll, name="live view", daemon=True).start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._polling.clear()
        with self._lock:
            self.live.__exit__(kind, exc, tb)

    def _poll(self) -> None:
        """Once a second: what is true now, and the countdown redrawn."""
        assert self._now_source is not None
        while self._polling.is_set():
            try:
                now = self._now_source()
            except Exception:  # the events still come; the panel shows what they say
                now = None
            with self._lock:
                if not self._polling.is_set():
                    return
                self._now = (now, time.time()) if now else None
                self.live.update(self.render(), refresh=True)
            time.sleep(NOW_INTERVAL)

    def show(self, event: Event) -> None:
        self.deployment_id = event.deployment_id
        self.status = event.status
        if event.lifecycle_event and event.step_status:
            self.steps[event.lifecycle_event] = event.step_status
        if event.weights:
            self.weights = event.weights
        if event.kind is EventKind.TARGET and "target" in event.details:
            state, reason = event.details.get("state", "?"), event.details.get("reason")
            self.targets[str(event.details["target"])] = f"{state}" + (
                f" {reason}" if reason else ""
            )
        self.lines.append(format_line(event, first=self.first))
        with self._lock:
            self.live.update(self.render(), refresh=True)

    def render(self) -> Group:
        title = Text.assemble(
            ("deployment ", "bold"),
            (self.deployment_id, "bold"),
            "  ",
            (self.status.value, _STATUS_STYLES.get(self.status, "bold yellow")),
        )
        bar = traffic_bar(self.weights, first=self.first)
        todo = hint(self.status, self.steps, self.where)
        what_now = [Text(todo, style="cyan")] if todo else []
        if self._now is not None:
            now, fetched_at = self._now
            return Group(
                title,
                *now_lines(now, fetched_at),
                self._steps_table(),
                bar,
                *what_now,
                *self._recent(),
            )
        return Group(title, self._steps_table(), bar, *what_now, *self._detail())

    def _steps_table(self) -> Table:
        table = Table.grid(padding=(0, 1))
        for step, state in self.steps.items():
            mark, style = _STEP_MARKS[state]
            table.add_row(Text(mark, style=style), Text(step.value), Text(state.value, style="dim"))
        return table

    def _detail(self) -> list[Text]:
        """Green's targets as the events report them, then the recent lines."""
        targets = [
            Text.assemble(f"  green {t} ", (s, "green" if s == "healthy" else "yellow"))
            for t, s in sorted(self.targets.items())
            if not s.startswith("unused")
        ]
        return [*targets, *self._recent()]

    def _recent(self) -> list[Text]:
        return [Text(line, style="dim") for line in self.lines]


def traffic_bar(weights: Weights | None, width: int = 40, first: bool = False) -> Text:
    """`blue ████████░░ green` with the percentages, proportional to the split;
    green's share alone in a first deployment, which has no blue."""
    if weights is None:
        return Text("traffic  (no production traffic shifted yet)", style="dim")
    if first:
        green_cells = round(width * weights.green / 100)
        return Text.assemble(
            "traffic  ",
            ("█" * green_cells, "green"),
            ("░" * (width - green_cells), "dim"),
            (f" {weights.green:>3}% green (first deployment: no blue)", "green"),
        )
    blue_cells = round(width * weights.blue / 100)
    return Text.assemble(
        "traffic  ",
        (f"blue {weights.blue:>3}% ", "blue"),
        ("█" * blue_cells, "blue"),
        ("█" * (width - blue_cells), "green"),
        (f" {weights.green:>3}% green", "green"),
    )


def sink_for(
    output: str,
    console: Console | None = None,
    first: bool = False,
    now: NowSource | None = None,
    where: str = "",
) -> EventSink:
    """The live view on a terminal, plain lines elsewhere, JSON lines when asked."""
    if output == "json":
        return JsonLines()
    console = console or make_console()
    if console.is_terminal:
        return LiveView(console, first=first, now=now, where=where)
    return PlainLines(console, first=first)


def render(
    events: Iterable[Event],
    output: str,
    console: Console | None = None,
    first: bool = False,
    now: NowSource | None = None,
    where: str = "",
) -> None:
    with sink_for(output, console, first, now, where) as sink:
        for event in events:
            sink.show(event)


def is_first(summary: DeploymentSummary) -> bool:
    """Whether the deployment had no blue: a platform that knows says so with
    `blue_revision` None in the details (the local one); others always have one."""
    return "blue_revision" in summary.details and summary.details["blue_revision"] is None


def watch(
    platform: Platform,
    deployment_id: str,
    output: str,
    timeout: float | None = None,
    until: Until | None = None,
) -> DeploymentSummary:
    """Follow a deployment to its end (or `until` a stage), then print the
    verdict; the final summary. After `timeout` seconds stop following (the
    deployment goes on): exit 3."""
    console = make_console()
    first = is_first(platform.status(deployment_id))
    events = platform.events(deployment_id, follow=True)
    if until is not None:
        events = until.through(events)
    timed_out = False
    stream = events if timeout is None else _until(events, timeout)
    try:
        render(stream, output, console, first, lambda: platform.now(deployment_id), where(platform))
    except TimeoutError:
        timed_out = True
    summary = platform.status(deployment_id)
    show_verdict(summary, output, console)
    if timed_out:
        raise_for_status(summary, timed_out=True)
    return summary


def where(platform: Platform) -> str:
    """The arguments that name this deployment's project to another command."""
    parts = [] if platform.name == "local" else [f"--platform {platform.name}"]
    return " ".join([*parts, str(platform.project.dir)])


def _until(events: Iterator[Event], timeout: float) -> Iterator[Event]:
    """The events that come within `timeout`; raises TimeoutError after it.
    A daemon thread reads the (blocking) source, so giving up never waits on it;
    what the source raises (a platform error) is raised here, in the caller's
    thread, where the CLI turns it into an exit code instead of a traceback."""
    queue: Queue[Event | BaseException | None] = Queue()

    def pump() -> None:
        try:
            for event in events:
                queue.put(event)
        except BaseException as exc:  # handed to the caller, who raises it
            queue.put(exc)
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
        if isinstance(event, BaseException):
            raise event
        yield event


def show_verdict(summary: DeploymentSummary, output: str, console: Console | None = None) -> None:
    if output == "json":
        print(json.dumps({"verdict": summary.to_dict()}, sort_keys=True), flush=True)
        return
    console = console or make_console()
    style = _STATUS_STYLES.get(summary.status, "bold")
    line = Text.assemble(
        (f"{summary.status.value}", style),
        f"  {summary.deployment_id}  revision {summary.revision}",
        f"  {summary.message}" if summary.message else "",
    )
    console.print(line)


def show_summaries(summaries: list[DeploymentSummary], output: str) -> None:
    """`history` and `status`: a table on a terminal, JSON lines when asked; the
    same fields in both (`summary_fields`), and a note on stderr when they were
    read from state.db because the daemon is down."""
    note = stored_note(summaries)
    if note:
        click.echo(note, err=True)
    if output == "json":
        for summary in summaries:
            line = {**summary.to_dict(), **summary_fields(summary)}
            print(json.dumps(line, sort_keys=True), flush=True)
        return
    table = Table(box=None)
    columns = ("deployment", "status", "revisions", "started", "ended", "took", "by", "traffic")
    for column in columns:
        table.add_column(column, no_wrap=True)
    table.add_column("message")
    for s in summaries:
        fields = summary_fields(s)
        rollback = f" (rollback of {s.rollback_of})" if s.rollback_of else ""
        table.add_row(
            s.deployment_id,
            Text(s.status.value, style=_STATUS_STYLES.get(s.status, "")),
            revisions_text(fields),
            clock(fields["started"]),
            clock(fields["ended"]),
            duration_text(fields["duration"]),
            fields["started_by"] or "-",
            _split(s),
            Text(s.message + rollback),  # not markup: "[local] command" is the user's word
        )
    make_console().print(table)


def show_targets(summary: DeploymentSummary, output: str) -> None:
    """`status`: each target as it is now, with ALB's reason for its state and
    our detail (the JSON has them in the summary's details already)."""
    targets = summary.details.get("targets") or []
    if output == "json" or not targets:
        return
    table = Table(box=None, title="targets now", title_justify="left")
    for column in ("task set", "target", "state", "reason"):
        table.add_column(column, no_wrap=column != "reason")
    for t in targets:
        state = Text(t["state"], style="green" if t["state"] == "healthy" else "yellow")
        reason = f"{t['reason']}: {t['description']}" if t.get("reason") else ""
        reason += f"; {t['detail']}" if t.get("detail") else ""
        table.add_row(t["task_set"], t["target"], state, Text(reason))
    make_console().print(table)


def _split(summary: DeploymentSummary) -> str:
    """`blue/green` percent, or `green N%` for a first deployment, which has no blue."""
    if summary.weights is None:
        return ""
    if is_first(summary):
        return f"green {summary.weights.green}%"
    return f"{summary.weights.blue}/{summary.weights.green}"


def log_line(line: LogLine) -> str:
    """`12:03:04.567 web-2-ab12cd34 | text`; a line from before stamps has no time."""
    clock = time.strftime("%H:%M:%S", time.localtime(line.time)) if line.time else "--:--:--"
    millis = f".{int(line.time % 1 * 1000):03d}" if line.time else ".---"
    return f"{clock}{millis} {line.task} | {line.text}"
