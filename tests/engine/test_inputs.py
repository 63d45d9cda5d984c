"""Inputs survive a trip through JSON (the store keeps them for replay)."""

from __future__ import annotations

import json

import pytest

from bluegreen.engine import inputs
from bluegreen.vocabulary import LifecycleEvent

SAMPLES: list[inputs.Input] = [
    inputs.Started(1.0),
    inputs.TaskSetReady(2.0),
    inputs.TaskSetFailed(3.0, inputs.TaskSetRole.BLUE, "exit 137"),
    inputs.HookFinished(4.0, LifecycleEvent.AFTER_INSTALL, False, "boom"),
    inputs.Tick(5.5),
    inputs.ValidationResult(6.0, True, "200 in 3ms"),
    inputs.ContinueRequested(7.0),
    inputs.StopRequested(8.0, None),
    inputs.StopRequested(8.5, False),
    inputs.Alarm(9.0, "p99", "1.2s > 800ms"),
]


@pytest.mark.parametrize("item", SAMPLES, ids=lambda i: type(i).__name__)
def test_inputs_round_trip_through_json(item: inputs.Input) -> None:
    data = json.loads(json.dumps(inputs.to_dict(item)))
    assert inputs.from_dict(data) == item


def test_unknown_input_type_is_named() -> None:
    with pytest.raises(ValueError, match="'Reboot'"):
        inputs.from_dict({"type": "Reboot", "at": 1.0})
