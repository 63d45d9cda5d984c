"""appspec.yaml / appspec.json: the CodeDeploy AppSpec for an ECS service.

Typed after CodeDeploy's rules (reference §1.4): one `TargetService` whose
`TaskDefinition`, `LoadBalancerInfo.ContainerName` and numeric
`ContainerPort` are required; `NetworkConfiguration` all-or-nothing;
`CapacityProviderStrategy` with at most one `Base` and some `Weight` above
0; `Hooks` a list of single-key maps of the five hookable events. Field
names are AWS's, so problems point at the keys the user wrote.

Rendering fills `TaskDefinition` with the ARN RegisterTaskDefinition
returned and produces the revision CodeDeploy takes: the content as a
string and the SHA-256 of exactly that string (reference §1.5).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, field_validator

from ..vocabulary import HOOKABLE

if TYPE_CHECKING:
    from .project import Project

NonEmpty = Annotated[str, Field(min_length=1)]
TASK_DEFINITION_ARN = re.compile(
    r"arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition/[A-Za-z0-9_-]{1,255}:\d+"
)
"""What CodeDeploy needs in TaskDefinition: a registered revision, `family:N`."""


class _AwsModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class AssignPublicIp(StrEnum):
    ENABLED = "ENABLED"
    DISABLED = "DISABLED"


class AwsvpcConfiguration(_AwsModel):
    subnets: Annotated[list[NonEmpty], Field(alias="Subnets", min_length=1, max_length=16)]
    security_groups: Annotated[
        list[NonEmpty], Field(alias="SecurityGroups", min_length=1, max_length=5)
    ]
    assign_public_ip: Annotated[AssignPublicIp, Field(alias="AssignPublicIp")]


class NetworkConfiguration(_AwsModel):
    awsvpc: Annotated[AwsvpcConfiguration, Field(alias="AwsvpcConfiguration")]


class LoadBalancerInfo(_AwsModel):
    container_name: Annotated[NonEmpty, Field(alias="ContainerName")]
    container_port: Annotated[StrictInt, Field(alias="ContainerPort", ge=1, le=65535)]


class CapacityProviderItem(_AwsModel):
    capacity_provider: Annotated[NonEmpty, Field(alias="CapacityProvider")]
    base: Annotated[StrictInt | None, Field(alias="Base", ge=0, le=100000)] = None
    weight: Annotated[StrictInt | None, Field(alias="Weight", ge=0, le=1000)] = None


class TargetServiceProperties(_AwsModel):
    task_definition: Annotated[NonEmpty, Field(alias="TaskDefinition")]
    load_balancer_info: Annotated[LoadBalancerInfo, Field(alias="LoadBalancerInfo")]
    platform_version: Annotated[NonEmpty | None, Field(alias="PlatformVersion")] = None
    network_configuration: Annotated[
        NetworkConfiguration | None, Field(alias="NetworkConfiguration")
    ] = None
    capacity_provider_strategy: Annotated[
        list[CapacityProviderItem] | None, Field(alias="CapacityProviderStrategy", min_length=1)
    ] = None

    @field_validator("capacity_provider_strategy")
    @classmethod
    def _one_base_some_weight(
        cls, items: list[CapacityProviderItem] | None
    ) -> list[CapacityProviderItem] | None:
        if items is None:
            return None
        if sum(item.base is not None for item in items) > 1:
            raise ValueError("only one capacity provider may set Base")
        if not any((item.weight or 0) > 0 for item in items):
            raise ValueError("at least one capacity provider needs a Weight above 0")
        return items


class TargetService(_AwsModel):
    type: Annotated[Literal["AWS::ECS::Service"], Field(alias="Type")]
    properties: Annotated[TargetServiceProperties, Field(alias="Properties")]


class Resource(_AwsModel):
    target_service: Annotated[TargetService, Field(alias="TargetService")]


def _one_hookable_event(hook: dict[str, str]) -> dict[str, str]:
    if len(hook) != 1:
        raise ValueError("each hook is a map with exactly one lifecycle event")
    (event,) = hook
    if event not in HOOKABLE:
        expected = ", ".join(HOOKABLE)
        raise ValueError(f"{event!r} is not a hookable event; expected one of {expected}")
    return hook


Hook = Annotated[dict[str, NonEmpty], AfterValidator(_one_hookable_event)]
"""One `Hooks` entry: {lifecycle event: Lambda function name or ARN}."""


class AppSpec(_AwsModel):
    version: str
    resources: Annotated[list[Resource], Field(alias="Resources", min_length=1, max_length=1)]
    hooks: Annotated[list[Hook], Field(alias="Hooks")] = []

    @field_validator("version", mode="before")
    @classmethod
    def _version(cls, value: object) -> str:
        if isinstance(value, bool) or value not in (0, "0.0"):
            raise ValueError("expected 0.0, the only AppSpec version")
        return "0.0"

    @property
    def target(self) -> TargetServiceProperties:
        return self.resources[0].target_service.properties

    def hook_functions(self) -> dict[str, str]:
        """Lifecycle event -> Lambda function CodeDeploy invokes there."""
        return {event: name for hook in self.hooks for event, name in hook.items()}


@dataclass(frozen=True)
class Revision:
    """What CreateDeployment's `revision` carries: the AppSpec as a string
    and the lowercase hex SHA-256 of exactly that string."""

    content: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content.encode("utf-8")).hexdigest()

    def to_codedeploy(self) -> dict[str, Any]:
        return {
            "revisionType": "AppSpecContent",
            "appSpecContent": {"content": self.content, "sha256": self.sha256},
        }


def appspec_document(appspec: AppSpec, task_definition_arn: str) -> dict[str, Any]:
    """The AppSpec as AWS keys, with the registered task definition's ARN."""
    document = appspec.model_dump(by_alias=True, exclude_none=True, mode="json")
    document["version"] = 0.0
    document["Resources"][0]["TargetService"]["Properties"]["TaskDefinition"] = task_definition_arn
    if not document["Hooks"]:
        del document["Hooks"]
    return document


def render_appspec(project: Project, task_definition_arn: str) -> Revision:
    """The revision for `task_definition_arn`: compact JSON (valid YAML too),
    stable for the same inputs so the same deploy has the same hash."""
    document = appspec_document(project.appspec, task_definition_arn)
    return Revision(json.dumps(document, separators=(",", ":")))
