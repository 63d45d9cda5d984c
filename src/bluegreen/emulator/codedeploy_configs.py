"""CodeDeploy deployment configs for ECS: the predefined ones and the user's.

The predefined ECS configs and their schedules follow
https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-configurations.html
(`bluegreen.spec.deployment_config.PREDEFINED` holds the same table);
CreateDeploymentConfig with a `trafficRoutingConfig` (TimeBasedCanary:
`canaryPercentage` then the rest after `canaryInterval` minutes;
TimeBasedLinear: `linearPercentage` every `linearInterval` minutes;
AllAtOnce) follows
https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-configurations-create.html.
moto has none of these calls, so they are answered here.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..spec.deployment_config import PREDEFINED, DeploymentConfig, ShiftType
from .endpoint import Behaviour
from .protocol import AwsError, Call

MINUTE = 60.0
# trafficRoutingConfig type → our shift type, its settings' key, percent and minutes fields.
ROUTINGS: dict[str, tuple[ShiftType, str, str, str]] = {
    "TimeBasedCanary": (ShiftType.CANARY, "timeBasedCanary", "canaryPercentage", "canaryInterval"),
    "TimeBasedLinear": (ShiftType.LINEAR, "timeBasedLinear", "linearPercentage", "linearInterval"),
}


@dataclass(frozen=True)
class StoredConfig:
    name: str
    routing: Mapping[str, Any]
    created: datetime
    config_id: str

    @property
    def shift(self) -> DeploymentConfig:
        """The schedule in AWS seconds (the driver scales it)."""
        kind = self.routing.get("type", "AllAtOnce")
        if kind not in ROUTINGS:
            return DeploymentConfig(type=ShiftType.ALL_AT_ONCE, name=self.name)
        shift_type, key, percent, interval = ROUTINGS[kind]
        steps = self.routing[key]
        return DeploymentConfig(
            type=shift_type,
            percent=steps[percent],
            interval=steps[interval] * MINUTE,
            name=self.name,
        )

    def info(self) -> dict[str, Any]:
        return {
            "deploymentConfigId": self.config_id,
            "deploymentConfigName": self.name,
            "createTime": self.created,
            "computePlatform": "ECS",
            "trafficRoutingConfig": dict(self.routing),
        }


def _predefined_routing(shift: DeploymentConfig) -> dict[str, Any]:
    for kind, (shift_type, key, percent, interval) in ROUTINGS.items():
        if shift.type is shift_type:
            steps = {percent: shift.percent, interval: int(shift.interval // MINUTE)}
            return {"type": kind, key: steps}
    return {"type": "AllAtOnce"}


class DeploymentConfigs:
    def __init__(self) -> None:
        epoch = datetime(2019, 11, 26, tzinfo=UTC)  # when ECS blue/green configs appeared
        self._lock = threading.Lock()
        self.configs: dict[str, StoredConfig] = {
            name: StoredConfig(name, _predefined_routing(shift), epoch, str(uuid.uuid4()))
            for name, shift in PREDEFINED.items()
        }

    def behaviour(self) -> Behaviour:
        return Behaviour(
            own={
                ("codedeploy", "CreateDeploymentConfig"): self.create,
                ("codedeploy", "GetDeploymentConfig"): self.get_call,
                ("codedeploy", "ListDeploymentConfigs"): self.list_call,
                ("codedeploy", "DeleteDeploymentConfig"): self.delete,
            }
        )

    def get(self, name: str) -> StoredConfig:
        found = self.configs.get(name)
        if found is None:
            raise AwsError(
                "DeploymentConfigDoesNotExistException",
                f"No deployment configuration found for name: {name}",
            )
        return found

    def create(self, call: Call) -> Mapping[str, Any]:
        p = call.params
        name = p["deploymentConfigName"]
        if p.get("computePlatform") != "ECS" or "trafficRoutingConfig" not in p:
            raise AwsError(
                "InvalidDeploymentConfigNameException",
                "the emulator makes ECS configs: computePlatform ECS with a trafficRoutingConfig",
            )
        with self._lock:
            if name in self.configs:
                raise AwsError(
                    "DeploymentConfigAlreadyExistsException",
                    f"A deployment configuration with the name {name} already exists.",
                )
            stored = StoredConfig(
                name, p["trafficRoutingConfig"], datetime.now(UTC), str(uuid.uuid4())
            )
            self.configs[name] = stored
        return {"deploymentConfigId": stored.config_id}

    def get_call(self, call: Call) -> Mapping[str, Any]:
        return {"deploymentConfigInfo": self.get(call.params["deploymentConfigName"]).info()}

    def list_call(self, call: Call) -> Mapping[str, Any]:
        return {"deploymentConfigsList": sorted(self.configs)}

    def delete(self, call: Call) -> Mapping[str, Any]:
        name = call.params["deploymentConfigName"]
        if name.startswith("CodeDeployDefault."):
            raise AwsError(
                "InvalidOperationException", f"{name} is predefined and cannot be deleted"
            )
        with self._lock:
            self.configs.pop(name, None)
        return {}
