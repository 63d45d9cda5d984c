"""Durations as users write them, and deployment configs by name or table."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bluegreen.spec.deployment_config import PREDEFINED, ShiftType, resolve_config
from bluegreen.spec.duration import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("250ms", 0.25),
        ("5s", 5.0),
        ("2m", 120.0),
        ("1h", 3600.0),
        ("1m30s", 90.0),
        (7, 7.0),
        ("1.5s", 1.5),
        (" 2 s ", 2.0),
    ],
)
def test_durations_parse(text: object, seconds: float):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "5", "5x", "-1s", -1, True, None, [1], "s", "1s2"])
def test_bad_durations_say_what_is_expected(text: object):
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


@given(st.integers(0, 10**7))
def test_format_then_parse_gives_the_same_milliseconds(millis: int):
    assert round(parse_duration(format_duration(millis / 1000)) * 1000) == millis


def test_predefined_configs_have_codedeploys_schedules():
    assert PREDEFINED["CodeDeployDefault.ECSAllAtOnce"].schedule() == [(0.0, 100)]
    canary = PREDEFINED["CodeDeployDefault.ECSCanary10Percent15Minutes"].schedule()
    assert canary == [(0.0, 10), (900.0, 100)]
    linear = PREDEFINED["CodeDeployDefault.ECSLinear10PercentEvery3Minutes"].schedule()
    assert len(linear) == 10 and linear[-1] == (27 * 60.0, 100)


def test_custom_table_in_seconds():
    config = resolve_config({"type": "linear", "percent": 40, "interval": "500ms"})
    assert config.type is ShiftType.LINEAR
    assert config.schedule() == [(0.0, 40), (0.5, 80), (1.0, 100)]
    assert config.display_name == "linear 40% every 500ms"


def test_unknown_name_lists_the_choices():
    with pytest.raises(ValueError, match=r"CodeDeployDefault\.ECSCanary10Percent5Minutes"):
        resolve_config("CodeDeployDefault.OneAtATime")
