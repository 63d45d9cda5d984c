"""bluegreen.toml's durations in the units and ranges AWS's fields take.

A local rehearsal counts in seconds and below; AWS counts health checks in
whole seconds from 5 (ALB) and waits in whole minutes (CodeDeploy, ECS).
A duration AWS cannot hold exactly is raised to the nearest value it can,
and the change is said in a note the command prints, so what the user
rehearsed and what AWS runs never differ without a word. A duration over
AWS's ceiling is refused, naming the field: cutting a wait short would
change what the user asked for. Ranges are from the API references:
ELBv2 CreateTargetGroup (HealthCheckIntervalSeconds 5-300,
HealthCheckTimeoutSeconds 2-120), CodeDeploy BlueGreenDeploymentConfiguration
(waitTimeInMinutes, terminationWaitTimeInMinutes up to 2880), ECS
DeploymentConfiguration (bakeTimeInMinutes 0-1440) and
DeploymentLifecycleHook timeoutConfiguration (timeoutInMinutes 1-20160).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import Problem, SpecError
from ..spec.duration import format_duration


@dataclass(frozen=True)
class AwsDuration:
    """One AWS field that holds a duration: its name, unit and range."""

    name: str
    unit: int
    least: int
    most: int

    def fit(self, seconds: float, field: str, notes: list[str], source: str) -> int:
        """The value AWS gets for `seconds`; a note in `notes` when it is not the same."""
        if seconds > self.most * self.unit:
            raise SpecError(
                Problem(
                    source,
                    field,
                    f"{format_duration(seconds)} is more than {self.name} takes "
                    f"({format_duration(self.most * self.unit)} at most)",
                )
            )
        held = max(self.least, math.ceil(seconds / self.unit - 1e-9))
        note = (
            f"note: {field} = {format_duration(seconds)} runs on AWS as {self.name} "
            f"{held} ({format_duration(held * self.unit)}), the nearest value it takes"
        )
        if held * self.unit != seconds and note not in notes:
            notes.append(note)
        return held


HEALTH_INTERVAL = AwsDuration("HealthCheckIntervalSeconds", 1, 5, 300)
HEALTH_TIMEOUT = AwsDuration("HealthCheckTimeoutSeconds", 1, 2, 120)
READY_WAIT = AwsDuration("deploymentReadyOption.waitTimeInMinutes", 60, 0, 2880)
TERMINATION_WAIT = AwsDuration(
    "terminateBlueInstancesOnDeploymentSuccess.terminationWaitTimeInMinutes", 60, 0, 2880
)
BAKE_TIME = AwsDuration("bakeTimeInMinutes", 60, 0, 1440)
HOOK_TIMEOUT = AwsDuration("lifecycleHooks[].timeoutConfiguration.timeoutInMinutes", 60, 1, 20160)
