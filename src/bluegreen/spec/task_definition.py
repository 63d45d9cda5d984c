"""The task definition as the local platform runs it: typed and frozen, built once.

`render_taskdef` checks the whole document against botocore's ECS model;
`TaskDefinition.from_document` turns that checked JSON into the part the
task runner and its drivers act on (each container's image, command,
environment, ports, stop timeout, health check, limits), with ECS's
defaults filled in here rather than at every reader. Fields only AWS acts
on (roles, logConfiguration, secrets, placement, ...) are not modelled:
they are checked at render time and sent to AWS as written, and mean
nothing on this machine.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel

from ..errors import Problem, SpecError
from .problems import from_pydantic
from .taskdef import register_input

ECS_DEFAULT_STOP_TIMEOUT = 30.0
SHOWN_AS = "taskdef.json"


class _EcsModel(BaseModel):
    # ECS spells fields in camelCase; numbers in string fields (an environment
    # value of 3) are what ECS itself would store as "3".
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
        extra="ignore",
        coerce_numbers_to_str=True,
    )


class KeyValuePair(_EcsModel):
    name: str
    value: str


class PortMapping(_EcsModel):
    container_port: int | None = None
    """None when the mapping gives a containerPortRange instead."""
    host_port: int | None = None
    protocol: str = "tcp"


class LinuxParameters(_EcsModel):
    init_process_enabled: bool = False


class HealthCheck(_EcsModel):
    """A container health check, in seconds, with ECS's defaults."""

    command: tuple[str, ...]
    interval: float = 30
    timeout: float = 5
    retries: int = 3
    start_period: float = 0


class ContainerDefinition(_EcsModel):
    name: str
    image: str | None = None
    essential: bool = True
    entry_point: tuple[str, ...] | None = None
    command: tuple[str, ...] | None = None
    environment: tuple[KeyValuePair, ...] = ()
    port_mappings: tuple[PortMapping, ...] = ()
    working_directory: str | None = None
    user: str | None = None
    stop_timeout: float = ECS_DEFAULT_STOP_TIMEOUT
    linux_parameters: LinuxParameters = LinuxParameters()
    health_check: HealthCheck | None = None
    cpu: int | None = None
    memory: int | None = None
    memory_reservation: int | None = None

    @property
    def env(self) -> dict[str, str]:
        """The environment as a mapping (a later entry of the same name wins, as in Docker)."""
        return {pair.name: pair.value for pair in self.environment}


class TaskDefinition(_EcsModel):
    family: str = "task"
    container_definitions: tuple[ContainerDefinition, ...]

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> TaskDefinition:
        """The typed task definition of a rendered taskdef.json; SpecError naming every problem."""
        try:
            return cls.model_validate(register_input(document))
        except ValidationError as exc:
            raise SpecError(from_pydantic(SHOWN_AS, exc)) from exc

    def container(self, name: str) -> ContainerDefinition:
        for container in self.container_definitions:
            if container.name == name:
                return container
        names = [c.name for c in self.container_definitions]
        message = f"no container named {name!r}; containers are {names}"
        raise SpecError(Problem(SHOWN_AS, "containerDefinitions", message))
