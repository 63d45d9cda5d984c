"""What the CLI asks of a platform, and what it gets back.

The CLI is thin: it loads the project (spec), picks a platform by name and
calls these methods; every platform answers with the same `Event` records
and `DeploymentSummary` rows, so output and exit codes are written once.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .engine.deployment_settings import DeploymentSettings
from .engine.events import Event, Weights
from .errors import DeploymentFailed, DeploymentTimedOut
from .vocabulary import Status


@dataclass(frozen=True)
class DeployRequest:
    image: str | None = None
    config_name: str | None = None
    set_values: Mapping[str, str] = field(default_factory=dict)
    description: str | None = None
    wait_for_slot: bool = False
    """AWS: when another deployment holds the group/service, wait for it to end."""


@dataclass(frozen=True)
class DeploymentSummary:
    deployment_id: str
    status: Status
    revision: str
    platform: str
    created: float
    ended: float | None = None
    weights: Weights | None = None
    message: str = ""
    rollback_of: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "deployment_id": self.deployment_id,
            "status": self.status.value,
            "revision": self.revision,
            "platform": self.platform,
            "created": self.created,
            "ended": self.ended,
            "weights": self.weights.to_dict() if self.weights else None,
            "message": self.message,
            "rollback_of": self.rollback_of,
            "details": dict(self.details),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DeploymentSummary:
        """The summary `to_dict` wrote (the local daemon's API answers with it)."""
        weights = data.get("weights")
        return cls(
            deployment_id=data["deployment_id"],
            status=Status(data["status"]),
            revision=data["revision"],
            platform=data["platform"],
            created=data["created"],
            ended=data.get("ended"),
            weights=Weights(**weights) if weights else None,
            message=data.get("message", ""),
            rollback_of=data.get("rollback_of"),
            details=data.get("details") or {},
        )


@dataclass(frozen=True)
class LiveState:
    """What runs now beside what a deploy of the request would send, for `plan`."""

    revision: str | None
    """The live revision; None when nothing has been deployed."""
    taskdef: Mapping[str, Any] | None
    proposed: Mapping[str, Any]
    """The task definition a deploy would register, rendered as the deploy would."""
    settings: DeploymentSettings | None = None
    """The live deployment's settings, where the platform keeps them (local)."""
    files: Path | None = None
    """The live revision's snapshot of the app's files (local, process driver)."""
    refusals: tuple[str, ...] = ()
    """What the deploy would refuse, found by reading, not by trying."""


class Platform(Protocol):
    """A place deployments run: `local`, `aws-codedeploy`, `aws-ecs`."""

    name: str
    project: Any
    """The `spec.project.Project` it deploys."""

    def deploy(self, request: DeployRequest) -> str:
        """Start a deployment and return its id; raise if one is already in flight."""

    def events(self, deployment_id: str, *, follow: bool) -> Iterator[Event]:
        """The deployment's events so far, then (with follow) new ones until it ends."""

    def status(self, deployment_id: str | None = None) -> DeploymentSummary:
        """The given deployment, or the newest one."""

    def history(self, limit: int = 20) -> list[DeploymentSummary]:
        """Newest first."""

    def continue_deployment(self, deployment_id: str | None = None) -> None:
        """Leave the ready wait (reroute now) or end the termination wait early."""

    def stop(self, deployment_id: str | None = None, *, rollback: bool = True) -> None: ...

    def rollback(self, to_revision: str | None = None) -> str:
        """Flip back inside the termination wait, else deploy the last good revision."""

    def live(self, request: DeployRequest) -> LiveState:
        """What runs now and what `deploy(request)` would send, changing nothing."""

    def now(self, deployment_id: str) -> Mapping[str, Any] | None:
        """What is true now beyond the events, for the live view: the phase and
        when its wait ends, both task sets' targets, traffic per role. None where
        the platform cannot say more than its events (AWS)."""


def raise_for_status(summary: DeploymentSummary, *, timed_out: bool = False) -> None:
    if timed_out:
        raise DeploymentTimedOut(f"gave up waiting for {summary.deployment_id}")
    if summary.status is not Status.SUCCEEDED:
        raise DeploymentFailed(f"{summary.deployment_id} {summary.status.value}: {summary.message}")


# name -> "module:class"; imported on use so the local platform never loads boto3.
PLATFORMS = {
    "local": "bluegreen.local.local_platform:LocalPlatform",
    "aws-codedeploy": "bluegreen.aws.codedeploy:CodeDeployPlatform",
    "aws-ecs": "bluegreen.aws.ecs_native:EcsPlatform",
}


def open_platform(name: str, project: Any) -> Platform:
    """The platform called `name` for a loaded `spec.project.Project`."""
    import importlib

    from .errors import UsageError

    if name not in PLATFORMS:
        raise UsageError(f"unknown platform {name!r}; expected one of {', '.join(PLATFORMS)}")
    module_name, _, class_name = PLATFORMS[name].partition(":")
    platform_class = getattr(importlib.import_module(module_name), class_name)
    platform: Platform = platform_class(project)
    return platform
