"""From a task's ECS container definitions to `docker create` arguments.

Pure translation, no engine: what ECS would run (image, environment,
entryPoint/command, healthCheck, cpu/memory), already typed and with ECS's
defaults, becomes Docker's words for the same. The load-balanced container
takes the task's environment (with `PORT`); the others keep their own.
Under `local.network = "publish"` the task's containers share one network
namespace, as `awsvpc` tasks do on Fargate: the load-balanced container
publishes its port on 127.0.0.1 and the others join it. Under `host` all
of them use the host's network and the app listens on `PORT`, as a process
would.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import PlatformError
from ..spec.config import LocalNetwork
from ..spec.task_definition import ContainerDefinition, HealthCheck
from .driver import LABEL_REVISION, LABEL_TASK, TaskSpec

LABEL_CONTAINER = "bluegreen.container"
_NS = 1_000_000_000
"""Docker takes health check durations in nanoseconds; ECS writes seconds."""


@dataclass(frozen=True)
class ContainerPlan:
    name: str
    image: str
    essential: bool
    create: Mapping[str, Any] = field(default_factory=dict)
    joins_task_network: bool = False
    """Created with `network_mode=container:<load-balanced container>` once that exists."""


def plan_task(spec: TaskSpec) -> list[ContainerPlan]:
    """The task's containers, the load-balanced one first (the others may join its network)."""
    definitions = sorted(spec.containers, key=lambda d: d.name != spec.container)
    if not definitions or definitions[0].name != spec.container:
        raise PlatformError(f"the task definition has no container named {spec.container!r}")
    return [_plan_container(spec, definition) for definition in definitions]


def _plan_container(spec: TaskSpec, definition: ContainerDefinition) -> ContainerPlan:
    balanced = definition.name == spec.container
    if not definition.image:
        raise PlatformError(f"container {definition.name!r} of task {spec.task_id} has no image")
    create = {
        "environment": _environment(spec, definition, balanced),
        "labels": _labels(spec, definition.name),
        "entrypoint": _listed(definition.entry_point),
        "command": _listed(definition.command),
        "working_dir": definition.working_directory,
        "user": definition.user,
        "healthcheck": _healthcheck(definition.health_check),
        "init": definition.linux_parameters.init_process_enabled,
        **_limits(definition),
        **_network(spec, balanced),
    }
    return ContainerPlan(
        name=definition.name,
        image=definition.image,
        essential=definition.essential,
        create={k: v for k, v in create.items() if v is not None},
        joins_task_network=spec.network is LocalNetwork.PUBLISH and not balanced,
    )


def _listed(words: tuple[str, ...] | None) -> list[str] | None:
    return None if words is None else list(words)


def _labels(spec: TaskSpec, name: str) -> dict[str, str]:
    """The caller's labels plus the ones the driver itself finds its containers by."""
    own = {LABEL_REVISION: spec.revision, LABEL_TASK: spec.task_id, LABEL_CONTAINER: name}
    return {**spec.labels, **own}


def _environment(spec: TaskSpec, definition: ContainerDefinition, balanced: bool) -> dict[str, str]:
    if not balanced:
        return definition.env
    if spec.network is LocalNetwork.PUBLISH:
        return {**spec.env, "PORT": str(spec.container_port)}
    return dict(spec.env)


def _network(spec: TaskSpec, balanced: bool) -> dict[str, Any]:
    if spec.network is LocalNetwork.HOST:
        return {"network_mode": "host"}
    if balanced:
        return {"ports": {f"{spec.container_port}/tcp": ("127.0.0.1", spec.host_port)}}
    return {}


def _healthcheck(check: HealthCheck | None) -> dict[str, Any] | None:
    """ECS healthCheck (seconds) as Docker's (nanoseconds)."""
    if check is None:
        return None
    return {
        "test": list(check.command),
        "interval": int(check.interval * _NS),
        "timeout": int(check.timeout * _NS),
        "retries": check.retries,
        "start_period": int(check.start_period * _NS),
    }


def _limits(definition: ContainerDefinition) -> dict[str, Any]:
    """ECS container cpu units are Docker CPU shares; memory is a hard limit in MiB."""
    limits: dict[str, Any] = {}
    if definition.cpu:
        limits["cpu_shares"] = definition.cpu
    if definition.memory:
        limits["mem_limit"] = f"{definition.memory}m"
    if definition.memory_reservation:
        limits["mem_reservation"] = f"{definition.memory_reservation}m"
    return limits
