"""JUnit and dotenv reports from a deployment's JSON event stream."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from bluegreen.ci.junit import junit_xml
from bluegreen.ci.report import Record, dotenv
from bluegreen.engine.events import EventKind
from bluegreen.vocabulary import Status

from . import streams
from .streams import event


def record_of(text: str) -> Record:
    record = Record()
    for line in text.splitlines(keepends=True):
        record.add_line(line)
    return record


def cases(record: Record) -> dict[str, ET.Element]:
    root = ET.fromstring(junit_xml(record))
    suite = root.find("testsuite")
    assert suite is not None
    found = {c.attrib["name"]: c for c in suite.iter("testcase")}
    assert suite.attrib["tests"] == str(len(found))
    failed = sum(1 for c in found.values() if c.find("failure") is not None)
    assert suite.attrib["failures"] == str(failed)
    return found


def failure(case: ET.Element) -> str | None:
    element = case.find("failure")
    return None if element is None else element.attrib["message"]


def test_a_successful_local_deployment_passes_every_check() -> None:
    record = record_of(streams.stream(streams.local_success(), streams.verdict(Status.SUCCEEDED)))
    found = cases(record)
    assert set(found) == {"test listener", "AfterAllowTraffic hook", f"deployment {streams.ID}"}
    assert all(failure(c) is None for c in found.values())
    out = found["test listener"].findtext("system-out") or ""
    assert "probe failed (0/3) (503)" in out and "probe ok (3/3) (200)" in out
    assert found["AfterAllowTraffic hook"].findtext("system-out") == "smoke ok"


def test_failed_validation_is_a_failed_test_with_the_engines_reason() -> None:
    text = streams.stream(
        streams.local_validation_failure(), streams.verdict(Status.FAILED, "rolled back")
    )
    found = cases(record_of(text))
    assert failure(found["test listener"]) == "validation did not pass within 2s"
    assert failure(found[f"deployment {streams.ID}"]) == "Failed: rolled back"


def test_the_aws_gates_explicit_results_decide() -> None:
    checks = [
        event(EventKind.VALIDATION, "test listener http://lb:8080/health: 200"),
        event(EventKind.VALIDATION, "test listener healthy", details={"result": "passed"}),
        event(
            EventKind.VALIDATION, "validation command failed (exit 1)", details={"result": "failed"}
        ),
    ]
    found = cases(record_of(streams.stream(checks, streams.verdict(Status.STOPPED, "gate"))))
    assert failure(found["test listener"]) == "validation command failed (exit 1)"


def test_a_failed_hook_and_a_stream_cut_short() -> None:
    found = cases(record_of(streams.stream(streams.hook_failure(), None)))
    assert failure(found["BeforeInstall hook"]) == "BeforeInstall hook failed"
    assert found["BeforeInstall hook"].findtext("system-out") == "migration failed: exit 3"
    cut = streams.local_validation_failure()[:2]
    found = cases(record_of(streams.stream(cut, None)))
    assert failure(found["test listener"]) == "the event stream ended before validation finished"
    assert failure(found[f"deployment {streams.ID}"]) == "InProgress: probe ok (1/3)"


def test_no_deployment_means_no_test_cases_and_an_empty_id() -> None:
    record = record_of("error: bluegreen.toml: service.name: field required\nnot json {\n[1]\n")
    assert cases(record) == {}
    assert dotenv(record) == "DEPLOYMENT_ID=\n"


def test_dotenv_carries_id_status_and_revision() -> None:
    record = record_of(streams.stream(streams.local_success(), streams.verdict(Status.SUCCEEDED)))
    assert dotenv(record) == (
        f"DEPLOYMENT_ID={streams.ID}\nDEPLOYMENT_STATUS=Succeeded\nDEPLOYMENT_REVISION=flask-app:4\n"
    )
