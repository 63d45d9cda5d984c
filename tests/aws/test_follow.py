"""Following, without AWS: snapshots in, events out; the readings of each
service's answers; the deadline and the adaptive poll interval."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bluegreen.aws import codedeploy_reading, ecs_reading
from bluegreen.aws.follow import Polling, follow
from bluegreen.aws.progress import Snapshot, Step, changes, undoing_weights
from bluegreen.engine.events import EventKind, Weights
from bluegreen.errors import DeploymentTimedOut, ExitCode
from bluegreen.gate import Coordinates, GatePlan, Policy
from bluegreen.vocabulary import LifecycleEvent, Status, StepStatus

from .codedeploy_double import ecs_target, frame
from .ecs_double import paused, service_deployment

FAST = Polling(first=0.001, longest=0.002, timeout=5)


class Stuck:
    """A deployment that never moves: the follower must give up, not hang."""

    def __init__(self) -> None:
        self.polls = 0

    def snapshot(self, deployment_id: str) -> Snapshot:
        self.polls += 1
        return Snapshot(deployment_id, Status.IN_PROGRESS)

    def resume(self, snapshot: Snapshot) -> None:
        raise AssertionError("never Ready")

    abort = resume


def test_deadline_raises_timed_out() -> None:
    stuck = Stuck()
    with pytest.raises(DeploymentTimedOut) as caught:
        list(follow(stuck, "d-1", follow=True, gate=None, polling=Polling(0.001, 0.002, 1.5, 0.05)))
    assert caught.value.exit_code == ExitCode.TIMED_OUT
    assert stuck.polls > 2


def test_without_follow_one_poll() -> None:
    stuck = Stuck()
    events = list(follow(stuck, "d-1", follow=False, gate=None, polling=FAST))
    assert stuck.polls == 1
    assert [e.kind for e in events] == [EventKind.STATUS]


def test_poll_interval_grows_while_quiet_and_resets_on_change() -> None:
    polling = Polling(first=1, longest=4, growth=2)
    assert polling.next(1, changed=False) == 2
    assert polling.next(2, changed=False) == 4
    assert polling.next(4, changed=False) == 4
    assert polling.next(4, changed=True) == 1


def test_polling_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BLUEGREEN_AWS_POLL", "250ms")
    monkeypatch.setenv("BLUEGREEN_AWS_TIMEOUT", "2m")
    polling = Polling.from_env(timeout=10)
    assert (polling.first, polling.timeout) == (0.25, 120)


def test_changes_report_only_what_changed() -> None:
    before = Snapshot(
        "d-1", Status.IN_PROGRESS, {LifecycleEvent.INSTALL: Step(StepStatus.IN_PROGRESS)}
    )
    after = Snapshot(
        "d-1",
        Status.IN_PROGRESS,
        {LifecycleEvent.INSTALL: Step(StepStatus.SUCCEEDED)},
        weights=Weights(90, 10),
    )
    events = changes(before, after)
    assert [e.kind for e in events] == [EventKind.LIFECYCLE, EventKind.TRAFFIC]
    assert changes(after, after) == []


def test_codedeploy_target_reading() -> None:
    current = frame("InProgress", 6, 10.0, current="AllowTraffic")
    info = {"deploymentId": "d-1", "status": "InProgress"}
    snapshot = codedeploy_reading.snapshot(info, ecs_target("d-1", current))
    assert snapshot.weights == Weights(90, 10)
    assert snapshot.steps[LifecycleEvent.ALLOW_TRAFFIC].status is StepStatus.IN_PROGRESS
    assert snapshot.steps[LifecycleEvent.AFTER_INSTALL].status is StepStatus.SUCCEEDED
    assert LifecycleEvent.AFTER_ALLOW_TRAFFIC not in [
        name for name, step in snapshot.steps.items() if step.status is not StepStatus.PENDING
    ]


def test_codedeploy_summary_reads_task_definition_from_revision() -> None:
    arn = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:7"
    properties = {"TaskDefinition": arn}
    content = json.dumps({"Resources": [{"TargetService": {"Properties": properties}}]})
    info = {
        "deploymentId": "d-1",
        "status": "Stopped",
        "createTime": datetime(2026, 1, 1, tzinfo=UTC),
        "revision": {"appSpecContent": {"content": content}},
        "errorInformation": {"code": "MANUAL_STOP", "message": "stopped"},
    }
    summary = codedeploy_reading.summary(info, "aws-codedeploy")
    assert (summary.revision, summary.status) == ("web:7", Status.STOPPED)
    assert summary.message == "MANUAL_STOP: stopped"


def test_ecs_stages_compare_by_position() -> None:
    script = paused()
    script.frames[0].update(created=datetime.now(UTC), source="arn:rev/1", target="arn:rev/2")
    script.index = 2  # TEST_TRAFFIC_SHIFT: earlier stages are done even if never seen
    snapshot = ecs_reading.snapshot(service_deployment("arn:sd", script))
    assert snapshot.steps[LifecycleEvent.AFTER_INSTALL].status is StepStatus.SUCCEEDED
    assert snapshot.steps[LifecycleEvent.ALLOW_TEST_TRAFFIC].status is StepStatus.IN_PROGRESS
    assert LifecycleEvent.ALLOW_TRAFFIC not in snapshot.steps
    script.index = 3
    ready = ecs_reading.snapshot(service_deployment("arn:sd", script))
    assert ready.status is Status.READY and ready.gate_token


class Scripted:
    """Snapshots in order (the last repeats); records what the follower answered."""

    def __init__(self, snapshots: list[Snapshot]) -> None:
        self.snapshots = snapshots
        self.answers: list[tuple[str, int]] = []
        self.polls = 0

    def snapshot(self, deployment_id: str) -> Snapshot:
        self.polls += 1
        return self.snapshots[min(self.polls, len(self.snapshots)) - 1]

    def test_traffic_holder(self, ready: Snapshot) -> str | None:
        return None

    def coordinates(self, ready: Snapshot) -> Coordinates:
        return Coordinates(ready.deployment_id, "web:1", "", "")

    def resume(self, snapshot: Snapshot) -> None:
        self.answers.append(("resume", self.polls))

    def abort(self, snapshot: Snapshot) -> None:
        self.answers.append(("abort", self.polls))


def ready(test_traffic: StepStatus) -> Snapshot:
    steps = {LifecycleEvent.ALLOW_TEST_TRAFFIC: Step(test_traffic)}
    return Snapshot("d-1", Status.READY, steps)


def test_gate_waits_until_test_traffic_is_on_green(tmp_path: Path) -> None:
    controller = Scripted(
        [
            ready(StepStatus.IN_PROGRESS),
            ready(StepStatus.SUCCEEDED),
            Snapshot("d-1", Status.SUCCEEDED),
        ]
    )
    gate = GatePlan(Policy(0, 0.01, 5.0, smoke=True), None, "exit 0", tmp_path)
    events = list(follow(controller, "d-1", follow=True, gate=gate, polling=FAST))
    assert controller.answers == [("resume", 2)]
    assert events[-1].status is Status.SUCCEEDED


@pytest.mark.parametrize(
    "labels",
    [
        {"ecs-svc/1": "Blue", "ecs-svc/2": "Green"},  # the rollback keeps the labels
        {"ecs-svc/1": "Green", "ecs-svc/2": "Blue"},  # or relabels: the same reading
    ],
)
def test_a_rollback_s_split_is_read_by_task_set_identity(labels: dict[str, str]) -> None:
    """AWS documents that a rollback reroutes to the original task set, not how it
    labels the two: the stopped deployment's green (ecs-svc/2) is found by id."""
    stopped = Snapshot("d-1", Status.STOPPED, green_set="ecs-svc/2")
    shares = {"ecs-svc/1": 100.0, "ecs-svc/2": 0.0}
    sets = [
        {"identifer": i, "taskSetLabel": label, "trafficWeight": shares[i]}
        for i, label in labels.items()
    ]
    rollback = codedeploy_reading.snapshot({"deploymentId": "d-2"}, {"taskSetsInfo": sets})
    assert undoing_weights(rollback, stopped) == Weights(blue=100, green=0)
    gone = codedeploy_reading.snapshot({"deploymentId": "d-2"}, {"taskSetsInfo": sets[:1]})
    assert undoing_weights(gone, stopped) == Weights(blue=100, green=0)  # green deleted
