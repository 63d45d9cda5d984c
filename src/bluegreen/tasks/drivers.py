"""Which task driver a project gets: `local.driver`, with `auto` asking the engine.

The registry sits apart from the interface (`driver.py`) that every driver
imports, so picking a driver never imports a module that imports the
picker back. Drivers are imported by name when chosen: the Docker SDK is
loaded only by a project that runs containers.

A daemon has one driver, chosen at `up`, and a revision of images runs
under the Docker driver whichever that is: `deploy --image URI` under the
process driver gets one from `image_driver`, or is refused (exit 2) when
no engine answers.
"""

from __future__ import annotations

import asyncio
import importlib
from pathlib import Path

from ..errors import PlatformError, UsageError
from ..spec.config import BluegreenConfig, LocalDriver
from .driver import TaskDriver
from .image_pins import ImageDriver

# name -> "module:class"; each class takes the project's state directory (.bluegreen/).
DRIVERS = {
    LocalDriver.PROCESS: "bluegreen.tasks.process_driver:ProcessDriver",
    LocalDriver.DOCKER: "bluegreen.tasks.docker_driver:DockerDriver",
}
ENGINE_TIMEOUT = 5.0
"""How long `image_driver` waits for the engine to answer."""


def driver_for(config: BluegreenConfig, state_dir: Path) -> TaskDriver:
    """The driver `local.driver` asks for; `auto` is Docker when an engine answers."""
    choice = config.local.driver
    if choice is LocalDriver.AUTO:
        choice = LocalDriver.DOCKER if _docker_answers() else LocalDriver.PROCESS
    return _load(choice, state_dir)


def image_driver(config: BluegreenConfig, state_dir: Path, what: str) -> ImageDriver:
    """The Docker driver for `what` (`--image URI`, a revision of images) under a daemon
    whose own driver runs the app's files; blocks while it asks the engine. A
    UsageError naming `local.driver` when no engine answers: never the app's
    files run in the image's place."""
    needs = (
        f'{what}: local.driver is "{config.local.driver.value}", which runs the app\'s '
        "files; images need the Docker driver"
    )
    try:
        docker_module = importlib.import_module("bluegreen.tasks.docker_driver")
    except ImportError as exc:
        raise UsageError(f"{needs}, which is not available here ({exc})") from exc
    try:
        docker_module.connect(timeout=ENGINE_TIMEOUT).close()
    except PlatformError as exc:
        raise UsageError(f"{needs}, and {exc}") from exc
    driver = _load(LocalDriver.DOCKER, state_dir)
    assert isinstance(driver, ImageDriver), "the Docker driver pins images"
    return driver


def _load(choice: LocalDriver, state_dir: Path) -> TaskDriver:
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


class ImageDriverOnDemand:
    """What runs revisions of images for a daemon: its own driver when that pins
    images, else the Docker driver from `image_driver`, made when the first
    such revision comes (asking the engine blocks, so in a thread) and kept."""

    def __init__(self, driver: TaskDriver, config: BluegreenConfig, state_dir: Path) -> None:
        self.made = driver if isinstance(driver, ImageDriver) else None
        self._config, self._state_dir = config, state_dir

    async def __call__(self, what: str) -> ImageDriver:
        if self.made is None:
            made = await asyncio.to_thread(image_driver, self._config, self._state_dir, what)
            self.made = self.made or made  # two callers at once keep the first
        return self.made
