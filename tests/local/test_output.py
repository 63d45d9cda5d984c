"""The event renderers, fed real engine events from a whole deployment."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import replace

import pytest
from rich.console import Console

from bluegreen.cli.output import (
    JsonLines,
    LiveView,
    PlainLines,
    _until,
    format_line,
    make_console,
    show_summaries,
    show_targets,
    traffic_bar,
)
from bluegreen.engine.actions import Record
from bluegreen.engine.deployment import Deployment
from bluegreen.engine.deployment_settings import DeploymentSettings, ValidationSettings
from bluegreen.engine.events import Event, EventKind, Weights
from bluegreen.engine.inputs import HookFinished, Started, TaskSetReady, Tick, ValidationResult
from bluegreen.errors import PlatformError
from bluegreen.platform import DeploymentSummary
from bluegreen.vocabulary import LifecycleEvent, Status


def deployment_events() -> list[Event]:
    """A canary deployment driven by hand with a fake clock."""
    settings = DeploymentSettings(
        revision="web:2",
        blue_revision="web:1",
        schedule=((0.0, 20), (10.0, 100)),
        config_name="canary 20% 10s",
        validation=ValidationSettings(consecutive_successes=1),
        termination_wait=0,
    )
    engine = Deployment("d-1", settings)
    out = []
    for item in (
        Started(at=1),
        TaskSetReady(at=2),
        ValidationResult(at=3, ok=True),
        Tick(at=20),
    ):
        out += engine.handle(item)
    return [a.event for a in out if hasattr(a, "event")]


def plain_text(events: list[Event]) -> str:
    buffer = io.StringIO()
    with PlainLines(Console(file=buffer, width=200)) as sink:
        for event in events:
            sink.show(event)
    return buffer.getvalue()


def test_plain_lines_say_what_happened() -> None:
    text = plain_text(deployment_events())
    assert "[traffic] production traffic: blue 80% green 20%" in text
    assert text.strip().splitlines()[-1].endswith("[status] deployed web:2")


def test_json_lines_round_trip() -> None:
    buffer = io.StringIO()
    events = deployment_events()
    with JsonLines(buffer) as sink:
        for event in events:
            sink.show(event)
    parsed = [Event.from_dict(json.loads(line)) for line in buffer.getvalue().splitlines()]
    assert parsed == events


def test_live_view_shows_steps_split_and_verdict() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=120)
    with LiveView(console) as view:
        for event in deployment_events():
            view.show(event)
    assert view.status.value == "Succeeded"
    assert view.weights == Weights(0, 100)
    assert str(view.steps["AllowTraffic"]) == "Succeeded"
    screen = buffer.getvalue()
    assert "AllowTraffic" in screen and "100% green" in screen


def test_traffic_bar_is_proportional() -> None:
    bar = traffic_bar(Weights(75, 25), width=20).plain
    assert bar.count("█") == 20
    assert "blue  75%" in bar and "25% green" in bar
    assert "no production traffic" in traffic_bar(None).plain


def test_format_line_has_clock_kind_and_message() -> None:
    event = deployment_events()[0]
    assert format_line(event).split(" ", 1)[1].startswith("[status] deploying web:2")


def first_deployment_failing_at_a_hook() -> list[Event]:
    """A first deployment (no blue) whose AfterInstall hook prints two lines and fails."""
    settings = DeploymentSettings(
        revision="web:1",
        blue_revision=None,
        schedule=((0.0, 100),),
        config_name="all at once",
        hooks={LifecycleEvent.AFTER_INSTALL: 10.0},
        termination_wait=0,
    )
    engine = Deployment("d-1", settings)
    out = []
    detail = "exited 3\nfirst line of output\nlast line of output"
    for item in (
        Started(at=1),
        TaskSetReady(at=2),
        HookFinished(at=3, event=LifecycleEvent.AFTER_INSTALL, ok=False, detail=detail),
    ):
        out += engine.handle(item)
    return [a.event for a in out if isinstance(a, Record)]


def test_a_failed_hook_output_is_printed_once() -> None:
    text = plain_text(first_deployment_failing_at_a_hook())
    assert text.count("first line of output") == 1, text
    assert text.count("last line of output") == 1, text
    assert "AfterInstall hook failed: exited 3" in text


def test_a_first_deployment_shows_green_alone() -> None:
    bar = traffic_bar(Weights(100, 0), width=20, first=True).plain
    assert "blue 100%" not in bar and "0% green" in bar
    event = replace(
        deployment_events()[0],
        kind=EventKind.TRAFFIC,
        details={"split": {"blue": 100, "green": 0}, "listener": "production"},
    )
    assert "production traffic: green 0% (first deployment: no blue)" in format_line(
        event, first=True
    )


def test_a_console_that_is_not_a_terminal_does_not_wrap() -> None:
    console = make_console()
    assert not console.is_terminal
    with console.capture() as captured:
        console.print("x" * 300)
    assert captured.get() == "x" * 300 + "\n"


def test_an_error_in_the_event_source_is_raised_to_the_caller() -> None:
    def source() -> Iterator[Event]:
        yield deployment_events()[0]
        raise PlatformError("the daemon went away")

    seen = []
    with pytest.raises(PlatformError, match="went away"):
        for event in _until(source(), timeout=60):
            seen.append(event)
    assert len(seen) == 1


def failed_summary(targets: list[dict[str, str]]) -> DeploymentSummary:
    return DeploymentSummary(
        "d-1",
        Status.FAILED,
        "web:2",
        "local",
        created=0.0,
        message="task 1 listens on 0.0.0.0:80, not on $PORT=5; set `[local] command`",
        details={"blue_revision": "web:1", "targets": targets},
    )


def test_status_shows_each_target_with_its_reason_and_no_markup_is_read(
    capsys: pytest.CaptureFixture[str],
) -> None:
    refused = {"reason": "Target.FailedHealthChecks", "description": "Health checks failed"}
    targets = [
        {"task_set": "blue", "target": "127.0.0.1:5", "state": "healthy"},
        {"task_set": "green", "target": "127.0.0.1:6", "state": "unhealthy", **refused}
        | {"detail": "connection refused"},
    ]
    summary = failed_summary(targets)
    show_summaries([summary], "text")
    show_targets(summary, "text")
    out = capsys.readouterr().out
    assert "set `[local] command`" in out
    lines = [line.split() for line in out.splitlines() if "127.0.0.1" in line]
    assert lines == [
        ["blue", "127.0.0.1:5", "healthy"],
        [
            "green",
            "127.0.0.1:6",
            "unhealthy",
            "Target.FailedHealthChecks:",
            "Health",
            "checks",
            "failed;",
            "connection",
            "refused",
        ],
    ]
    show_targets(summary, "json")  # the JSON summary has them already: nothing more
    assert capsys.readouterr().out == ""


def test_the_live_view_names_a_targets_reason() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, color_system=None, width=200)
    event = replace(
        deployment_events()[0],
        kind=EventKind.TARGET,
        details={"target": "127.0.0.1:6", "state": "unhealthy", "reason": "Target.Timeout"},
    )
    with LiveView(console) as view:
        view.show(event)
    assert "green 127.0.0.1:6 unhealthy Target.Timeout" in buffer.getvalue()
