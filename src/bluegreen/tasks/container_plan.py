"""From a task's ECS container definitions to `docker create` arguments.

Pure translation, no engine: what ECS would run (image, environment,
entryPoint/command, healthCheck, cpu/memory) becomes Docker's words for the
same. The load-balanced container takes the deployed image and the task's
environment; the others keep their own. Under `local.network = "publish"`
the task's containers share one network namespace, as `awsvpc` tasks do on
Fargate: the load-balanced container publishes its port on 127.0.0.1 and
the others join it. Under `host` all of them use the host's network and
the app listens on `PORT`, as a process would.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import PlatformError
from ..spec.config import LocalNetwork
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
    definitions = sorted(spec.container_definitions, key=lambda d: d.get("name") != spec.container)
    if not definitions or definitions[0].get("name") != spec.container:
        raise PlatformError(f"the task definition has no container named {spec.container!r}")
    return [_plan_container(spec, definition) for definition in definitions]


def _plan_container(spec: TaskSpec, definition: Mapping[str, Any]) -> ContainerPlan:
    name = str(definition["name"])
    balanced = name == spec.container
    image = (spec.image if balanced else None) or definition.get("image")
    if not image:
        raise PlatformError(f"container {name!r} of task {spec.task_id} has no image")
    create = {
        "environment": _environment(spec, definition, balanced),
        "labels": _labels(spec, name),
        "entrypoint": definition.get("entryPoint"),
        "command": definition.get("command"),
        "working_dir": definition.get("workingDirectory"),
        "user": definition.get("user"),
        "healthcheck": _healthcheck(definition.get("healthCheck")),
        "init": bool(definition.get("linuxParameters", {}).get("initProcessEnabled")),
        **_limits(definition),
        **_network(spec, balanced),
    }
    return ContainerPlan(
        name=name,
        image=str(image),
        essential=bool(definition.get("essential", True)),
        create={k: v for k, v in create.items() if v is not None},
        joins_task_network=spec.network is LocalNetwork.PUBLISH and not balanced,
    )


def _labels(spec: TaskSpec, name: str) -> dict[str, str]:
    """The caller's labels plus the ones the driver itself finds its containers by."""
    own = {LABEL_REVISION: spec.revision, LABEL_TASK: spec.task_id, LABEL_CONTAINER: name}
    return {**spec.labels, **own}


def _environment(spec: TaskSpec, definition: Mapping[str, Any], balanced: bool) -> dict[str, str]:
    if not balanced:
        return {e["name"]: str(e["value"]) for e in definition.get("environment", ())}
    if spec.network is LocalNetwork.PUBLISH:
        return {**spec.env, "PORT": str(spec.container_port)}
    return dict(spec.env)


def _network(spec: TaskSpec, balanced: bool) -> dict[str, Any]:
    if spec.network is LocalNetwork.HOST:
        return {"network_mode": "host"}
    if balanced:
        return {"ports": {f"{spec.container_port}/tcp": ("127.0.0.1", spec.host_port)}}
    return {}


def _healthcheck(check: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """ECS healthCheck (seconds, ECS defaults) as Docker's (nanoseconds)."""
    if not check:
        return None
    return {
        "test": list(check["command"]),
        "interval": int(float(check.get("interval", 30)) * _NS),
        "timeout": int(float(check.get("timeout", 5)) * _NS),
        "retries": int(check.get("retries", 3)),
        "start_period": int(float(check.get("startPeriod", 0)) * _NS),
    }


def _limits(definition: Mapping[str, Any]) -> dict[str, Any]:
    """ECS container cpu units are Docker CPU shares; memory is a hard limit in MiB."""
    limits: dict[str, Any] = {}
    if definition.get("cpu"):
        limits["cpu_shares"] = int(definition["cpu"])
    if definition.get("memory"):
        limits["mem_limit"] = f"{int(definition['memory'])}m"
    if definition.get("memoryReservation"):
        limits["mem_reservation"] = f"{int(definition['memoryReservation'])}m"
    return limits
