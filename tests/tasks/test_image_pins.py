"""Pinning a task definition's images to their ids: pure, no engine."""

from __future__ import annotations

from bluegreen.spec.task_definition import TaskDefinition
from bluegreen.tasks.image_pins import ImagePin, pinned, pins_from_json, pins_to_json, short_form

TASKDEF = TaskDefinition.from_document(
    {
        "family": "web",
        "containerDefinitions": [
            {"name": "web", "image": "web:v2", "essential": True},
            {"name": "log", "image": "fluent:1", "essential": False},
        ],
    }
)
WEB = ImagePin("web", "web:v2", "sha256:" + "ab" * 32, "r.example/web@sha256:" + "cd" * 32)


def test_pinned_containers_run_their_image_ids_and_the_others_keep_their_reference() -> None:
    run = pinned(TASKDEF, [WEB])
    assert [c.image for c in run.container_definitions] == [WEB.image_id, "fluent:1"]
    assert [c.image for c in TASKDEF.container_definitions] == ["web:v2", "fluent:1"]


def test_pins_round_trip_through_json_and_show_the_first_one_short() -> None:
    log = ImagePin("log", "fluent:1", "sha256:" + "ef" * 32)
    stored = pins_to_json([WEB, log])
    assert pins_from_json(stored) == (WEB, log)
    assert short_form(stored) == "ab" * 6
    assert pins_from_json(None) is None and short_form(None) is None
