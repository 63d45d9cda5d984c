"""ECS's lifecycle stages as lifecycle events: only stages ECS reports, and
BeforeAllowTraffic in progress while production traffic has not moved."""

from __future__ import annotations

import botocore.session

from bluegreen.aws import ecs_reading
from bluegreen.vocabulary import LifecycleEvent, StepStatus

from . import ecs_double as script
from .doubles import Script


def test_stages_are_the_ones_ecs_reports() -> None:
    model = botocore.session.get_session().get_service_model("ecs")
    reported = model.shape_for("ServiceDeploymentLifecycleStage").enum
    assert [name for name, _ in ecs_reading.STAGES] == reported
    covered = [event for _, events in ecs_reading.STAGES for event in events]
    assert covered == list(LifecycleEvent)


def snapshot_at(stage: str, production: float) -> dict[LifecycleEvent, StepStatus]:
    frame = script.stage("IN_PROGRESS", stage, production)
    frame.update(created=script.now(), source="blue", target="green")
    deployment = script.service_deployment("arn:sd", Script([frame]))
    return {event: step.status for event, step in ecs_reading.snapshot(deployment).steps.items()}


def test_before_allow_traffic_runs_until_production_moves() -> None:
    before = snapshot_at("PRODUCTION_TRAFFIC_SHIFT", 0.0)
    assert before[LifecycleEvent.AFTER_ALLOW_TEST_TRAFFIC] is StepStatus.SUCCEEDED
    assert before[LifecycleEvent.BEFORE_ALLOW_TRAFFIC] is StepStatus.IN_PROGRESS
    assert LifecycleEvent.ALLOW_TRAFFIC not in before
    shifting = snapshot_at("PRODUCTION_TRAFFIC_SHIFT", 10.0)
    assert shifting[LifecycleEvent.BEFORE_ALLOW_TRAFFIC] is StepStatus.SUCCEEDED
    assert shifting[LifecycleEvent.ALLOW_TRAFFIC] is StepStatus.IN_PROGRESS
    after = snapshot_at("POST_PRODUCTION_TRAFFIC_SHIFT", 100.0)
    assert after[LifecycleEvent.ALLOW_TRAFFIC] is StepStatus.SUCCEEDED
    assert after[LifecycleEvent.AFTER_ALLOW_TRAFFIC] is StepStatus.IN_PROGRESS
