"""JUnit XML of a deployment's checks, for GitLab's test report
(`artifacts:reports:junit`), so a failed gate reads as a failed test.

Test cases: the test-listener validation (its probes as output, passed or
failed as the deployment decided), each hook that ran, and the deployment
itself. Only what happened is reported: a check that never ran is absent,
not "passed".
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass

from ..engine.events import Event, EventKind
from ..vocabulary import LifecycleEvent, Status, StepStatus
from .report import Record

SUITE = "bluegreen"


@dataclass(frozen=True)
class Case:
    name: str
    classname: str
    failure: str | None = None
    output: str = ""
    seconds: float = 0.0


def cases(record: Record) -> list[Case]:
    return [*_validation(record), *_hooks(record.events), *_deployment(record)]


def _validation(record: Record) -> list[Case]:
    checks = [e for e in record.events if e.kind is EventKind.VALIDATION]
    if not checks:
        return []
    output = "\n".join(e.message + _detail(e) for e in checks)
    failure = _validation_failure(record, checks)
    seconds = checks[-1].time - checks[0].time
    return [Case("test listener", "validation", failure, output, seconds)]


def _validation_failure(record: Record, checks: list[Event]) -> str | None:
    """Explicit results win (the AWS gate reports passed/failed); else the
    lifecycle step the checks ran in says how it ended (the local engine)."""
    results = [e for e in checks if "result" in e.details]
    if results:
        failed = [e for e in results if e.details["result"] != "passed"]
        return failed[-1].message if failed else None
    step = _step_end(record.events, checks[-1])
    if step is not None:
        return None if step.step_status is StepStatus.SUCCEEDED else step.message
    if record.status is not None and record.status.terminal:
        return f"deployment ended ({record.status.value}) before validation finished"
    return "the event stream ended before validation finished"


def _step_end(events: list[Event], last_check: Event) -> Event | None:
    """The lifecycle event that ended the step the last check ran in."""
    after = events[events.index(last_check) + 1 :]
    for event in after:
        ended = event.step_status in (StepStatus.SUCCEEDED, StepStatus.FAILED)
        same_step = event.lifecycle_event == last_check.lifecycle_event
        if event.kind is EventKind.LIFECYCLE and ended and same_step:
            return event
    return None


def _hooks(events: Iterable[Event]) -> list[Case]:
    found = []
    for event in events:
        if event.kind is not EventKind.HOOK or "ok" not in event.details:
            continue
        name = f"{_event_name(event.lifecycle_event)} hook"
        failure = None if event.details["ok"] else event.message
        found.append(Case(name, "hooks", failure, str(event.details.get("output") or "")))
    return found


def _deployment(record: Record) -> list[Case]:
    if not record.deployment_id:
        return []
    status = record.status
    failure = None
    if status is not Status.SUCCEEDED:
        shown = status.value if status else "unknown"
        message = record.verdict.message if record.verdict else record.events[-1].message
        failure = f"{shown}: {message}"
    seconds = record.events[-1].time - record.events[0].time if record.events else 0.0
    return [Case(f"deployment {record.deployment_id}", "deployment", failure, "", seconds)]


def _event_name(event: LifecycleEvent | None) -> str:
    return event.value if event else "deployment"


def _detail(event: Event) -> str:
    detail = event.details.get("detail")
    return f" ({detail})" if detail else ""


def junit_xml(record: Record) -> str:
    found = cases(record)
    suite = ET.Element(
        "testsuite",
        name=SUITE,
        tests=str(len(found)),
        failures=str(sum(1 for c in found if c.failure is not None)),
        errors="0",
        time=f"{sum(c.seconds for c in found):.3f}",
    )
    for case in found:
        element = ET.SubElement(
            suite, "testcase", name=case.name, classname=case.classname, time=f"{case.seconds:.3f}"
        )
        if case.failure is not None:
            ET.SubElement(element, "failure", message=case.failure).text = case.failure
        if case.output:
            ET.SubElement(element, "system-out").text = case.output
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
