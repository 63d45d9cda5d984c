"""`bluegreen deploy --output json` streams as the platforms print them:
Event.to_dict lines, then {"verdict": summary}."""

from __future__ import annotations

import json

from bluegreen.engine.events import Event, EventKind
from bluegreen.platform import DeploymentSummary
from bluegreen.vocabulary import LifecycleEvent, Status, StepStatus

ID = "d-7F3A"
ATT = LifecycleEvent.ALLOW_TEST_TRAFFIC


def event(kind: EventKind, message: str, **fields: object) -> Event:
    base: dict[str, object] = {
        "time": 1000.0 + len(message) / 10,
        "deployment_id": ID,
        "kind": kind,
        "status": Status.IN_PROGRESS,
        "message": message,
    }
    return Event(**{**base, **fields})  # type: ignore[arg-type]


def step(lifecycle: LifecycleEvent, status: StepStatus, message: str) -> Event:
    return event(EventKind.LIFECYCLE, message, lifecycle_event=lifecycle, step_status=status)


def probe(ok: bool, n: int) -> Event:
    return event(
        EventKind.VALIDATION,
        f"probe {'ok' if ok else 'failed'} ({n}/3)",
        lifecycle_event=ATT,
        details={"ok": ok, "detail": "200" if ok else "503"},
    )


def local_success() -> list[Event]:
    return [
        step(ATT, StepStatus.IN_PROGRESS, "test listener to green; validating"),
        probe(False, 0),
        probe(True, 1),
        probe(True, 2),
        probe(True, 3),
        step(ATT, StepStatus.SUCCEEDED, "validation passed: 3 consecutive ok probes"),
        event(
            EventKind.HOOK,
            "AfterAllowTraffic hook succeeded",
            lifecycle_event=LifecycleEvent.AFTER_ALLOW_TRAFFIC,
            details={"ok": True, "output": "smoke ok"},
        ),
    ]


def local_validation_failure() -> list[Event]:
    return [
        step(ATT, StepStatus.IN_PROGRESS, "test listener to green; validating"),
        probe(True, 1),
        probe(False, 0),
        step(ATT, StepStatus.FAILED, "validation did not pass within 2s"),
    ]


def hook_failure() -> list[Event]:
    return [
        event(
            EventKind.HOOK,
            "BeforeInstall hook failed",
            lifecycle_event=LifecycleEvent.BEFORE_INSTALL,
            details={"ok": False, "output": "migration failed: exit 3"},
        )
    ]


def verdict(status: Status, message: str = "") -> DeploymentSummary:
    return DeploymentSummary(ID, status, "flask-app:4", "local", 1000.0, 1010.0, message=message)


def stream(events: list[Event], summary: DeploymentSummary | None) -> str:
    lines = [json.dumps(e.to_dict()) for e in events]
    if summary is not None:
        lines.append(json.dumps({"verdict": summary.to_dict()}))
    return "\n".join(lines) + "\n"
