"""Which task driver a project gets: `local.driver`, with `auto` asking the engine.

The registry sits apart from the interface (`driver.py`) that every driver
imports, so picking a driver never imports a module that imports the
picker back. Drivers are imported by name when chosen: the Docker SDK is
loaded only by a project that runs containers.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from ..errors import PlatformError
from ..spec.config import BluegreenConfig, LocalDriver
from .driver import TaskDriver

# name -> "module:class"; each class takes the project's state directory (.bluegreen/).
DRIVERS = {
    LocalDriver.PROCESS: "bluegreen.tasks.process_driver:ProcessDriver",
    LocalDriver.DOCKER: "bluegreen.tasks.docker_driver:DockerDriver",
}


def driver_for(config: BluegreenConfig, state_dir: Path) -> TaskDriver:
    """The driver `local.driver` asks for; `auto` is Docker when an engine answers."""
    choice = config.local.driver
    if choice is LocalDriver.AUTO:
        choice = LocalDriver.DOCKER if _docker_answers() else LocalDriver.PROCESS
    module_name, _, class_name = DRIVERS[choice].partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise PlatformError(f"the {choice.value} driver is not available: {exc}") from exc
    driver: TaskDriver = getattr(module, class_name)(state_dir)
    return driver


def _docker_answers() -> bool:
    try:
        docker_module = importlib.import_module("bluegreen.tasks.docker_driver")
    except ImportError:
        return False
    answers: bool = docker_module.engine_answers()
    return answers
