"""Deployment configs: how traffic moves from blue to green.

CodeDeploy's predefined ECS configs by name, a custom table, or the name of
a deployment config the user made in CodeDeploy themselves. A schedule is a
list of (seconds after AllowTraffic starts, green percent) steps that the
engine walks; it is the same data the AWS platforms map to a CodeDeploy
deployment config (`aws/shift_settings.py`) or to ECS's linear/canary
strategies. A config known only by name has its schedule in CodeDeploy, so
only `aws-codedeploy` can use it.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .duration import Duration, format_duration


class ShiftType(StrEnum):
    ALL_AT_ONCE = "all_at_once"
    CANARY = "canary"
    LINEAR = "linear"
    NAMED = "named"
    """A CodeDeploy deployment config of the user's, known here by name only."""


class DeploymentConfig(BaseModel):
    """A traffic shift: all at once; canary (percent, then the rest after interval);
    linear (percent more every interval)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: ShiftType
    percent: Annotated[int, Field(ge=1, le=99)] = 10
    interval: Duration = 60.0
    name: str | None = None

    @model_validator(mode="after")
    def _interval_for_steps(self) -> DeploymentConfig:
        if self.type is ShiftType.NAMED and not self.name:
            raise ValueError("a named config needs the name of a CodeDeploy deployment config")
        if self.type in (ShiftType.CANARY, ShiftType.LINEAR) and self.interval <= 0:
            raise ValueError(f"a {self.type.value} config needs an interval above 0")
        return self

    @property
    def predefined(self) -> bool:
        return self.name in PREDEFINED

    @property
    def display_name(self) -> str:
        if self.name:
            return self.name
        if self.type is ShiftType.ALL_AT_ONCE:
            return "all at once"
        every = "every " if self.type is ShiftType.LINEAR else ""
        return f"{self.type.value} {self.percent}% {every}{format_duration(self.interval)}"

    def schedule(self) -> list[tuple[float, int]]:
        """(offset in seconds, green percent) steps, ending at 100 %."""
        if self.type is ShiftType.NAMED:
            raise ValueError(
                f"deployment config {self.name!r} is known only to CodeDeploy, so only "
                "--platform aws-codedeploy can use it; use a predefined name or a table "
                'such as { type = "canary", percent = 10, interval = "5m" } here'
            )
        if self.type is ShiftType.ALL_AT_ONCE:
            return [(0.0, 100)]
        if self.type is ShiftType.CANARY:
            return [(0.0, self.percent), (self.interval, 100)]
        steps = []
        green, offset = 0, 0.0
        while green < 100:
            green = min(100, green + self.percent)
            steps.append((offset, green))
            offset += self.interval
        return steps


def _predefined(type_: ShiftType, percent: int, minutes: int, name: str) -> DeploymentConfig:
    return DeploymentConfig(type=type_, percent=percent, interval=minutes * 60, name=name)


PREDEFINED: dict[str, DeploymentConfig] = {
    c.name or "": c
    for c in (
        DeploymentConfig(type=ShiftType.ALL_AT_ONCE, name="CodeDeployDefault.ECSAllAtOnce"),
        _predefined(ShiftType.LINEAR, 10, 1, "CodeDeployDefault.ECSLinear10PercentEvery1Minutes"),
        _predefined(ShiftType.LINEAR, 10, 3, "CodeDeployDefault.ECSLinear10PercentEvery3Minutes"),
        _predefined(ShiftType.CANARY, 10, 5, "CodeDeployDefault.ECSCanary10Percent5Minutes"),
        _predefined(ShiftType.CANARY, 10, 15, "CodeDeployDefault.ECSCanary10Percent15Minutes"),
    )
}

DEFAULT_CONFIG_NAME = "CodeDeployDefault.ECSAllAtOnce"


# CodeDeploy's rule for deployment config names (1 to 100 characters).
CONFIG_NAME = re.compile(r"[A-Za-z0-9._+=,@-]{1,100}")


def resolve_config(value: str | dict[str, object] | DeploymentConfig) -> DeploymentConfig:
    """A config from a predefined name, a table, or the name of the user's own
    CodeDeploy deployment config; raises ValueError naming the choices."""
    if isinstance(value, DeploymentConfig):
        return value
    if isinstance(value, str):
        if value in PREDEFINED:
            return PREDEFINED[value]
        if value.startswith("CodeDeployDefault.") or not CONFIG_NAME.fullmatch(value):
            names = ", ".join(PREDEFINED)
            raise ValueError(
                f"unknown deployment config {value!r}; expected one of {names}, the name of "
                "a CodeDeploy deployment config of yours, "
                'or a table such as { type = "canary", percent = 10, interval = "5s" }'
            )
        return DeploymentConfig(type=ShiftType.NAMED, name=value)
    return DeploymentConfig.model_validate(value)
