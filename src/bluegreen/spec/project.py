"""A project: the directory holding bluegreen.toml, taskdef.json and the AppSpec.

`load_project` reads all three, applies environment overrides to the
config, checks each file and then how they fit together (the AppSpec's
container and port are the config's and exist in the task definition).
It raises one `SpecError` listing every problem in every file, so a user
fixes them in one pass instead of one per run.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import Problem, SpecError
from .appspec import AppSpec
from .config import BluegreenConfig
from .files import Unreadable, read_document
from .overrides import Override, apply_overrides, find_overrides
from .problems import from_pydantic
from .taskdef import check_taskdef

CONFIG_FILE = "bluegreen.toml"
TASKDEF_FILE = "taskdef.json"
APPSPEC_FILES = ("appspec.yaml", "appspec.yml", "appspec.json")


@dataclass(frozen=True)
class Project:
    dir: Path
    config: BluegreenConfig
    """From bluegreen.toml with environment overrides applied."""
    taskdef: dict[str, Any]
    """Parsed taskdef.json, placeholders not rendered (see `taskdef.render_taskdef`)."""
    appspec: AppSpec
    config_path: Path
    taskdef_path: Path
    appspec_path: Path


def load_project(directory: Path | str = ".", env: Mapping[str, str] | None = None) -> Project:
    """The project in `directory`; raises SpecError with every problem found.

    Paths in problems are `directory` joined with the file name, as given,
    so they read the way the user typed them.
    """
    root = Path(directory)
    if not root.is_dir():
        raise SpecError(Problem(str(root), "", "not a directory"))
    environment = os.environ if env is None else env
    paths = (root / CONFIG_FILE, root / TASKDEF_FILE, appspec_path(root))
    if not any(path.exists() for path in paths):
        where = root.resolve()
        raise SpecError(
            Problem(
                str(root),
                "",
                f"no bluegreen project in {where} (none of {CONFIG_FILE}, {TASKDEF_FILE}, "
                f"{APPSPEC_FILES[0]}): give the project's directory (`bluegreen deploy "
                f"examples/flask-app`), or run `bluegreen init {root}` to make one here",
            )
        )
    problems: list[Problem] = _one_appspec(root)
    config = _load_config(paths[0], environment, problems)
    taskdef = _read(paths[1], problems)
    appspec = _load_appspec(paths[2], problems)
    if config is not None and taskdef is not None:
        problems += check_taskdef(taskdef, config, str(paths[1]))
    if config is not None and appspec is not None:
        problems += _appspec_fits(appspec, config, str(paths[2]))
    if problems or config is None or taskdef is None or appspec is None:
        raise SpecError(problems)
    return Project(root, config, taskdef, appspec, *paths)


def appspec_path(root: Path) -> Path:
    """The AppSpec file present in `root` (YAML preferred), else appspec.yaml."""
    for name in APPSPEC_FILES:
        if (root / name).exists():
            return root / name
    return root / APPSPEC_FILES[0]


def _one_appspec(root: Path) -> list[Problem]:
    """Two AppSpecs side by side would leave the user guessing which one deploys."""
    present = [root / name for name in APPSPEC_FILES if (root / name).exists()]
    if len(present) < 2:
        return []
    names = " and ".join(str(path) for path in present)
    return [Problem(str(present[1]), "", f"{names} both exist; keep one AppSpec")]


def _read(path: Path, problems: list[Problem]) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = read_document(path, str(path))
    except Unreadable as exc:
        problems.append(exc.problem)
        return None
    return data


def _load_config(
    path: Path, env: Mapping[str, str], problems: list[Problem]
) -> BluegreenConfig | None:
    data = _read(path, problems)
    if data is None:
        return None
    overrides = find_overrides(env)
    try:
        return BluegreenConfig.model_validate(apply_overrides(data, overrides))
    except ValidationError as exc:
        problems += [_name_variable(p, overrides) for p in from_pydantic(str(path), exc)]
        return None


def _name_variable(problem: Problem, overrides: list[Override]) -> Problem:
    """A problem in a value that came from the environment names the variable."""
    for override in reversed(overrides):
        if override.concerns(problem.field):
            message = f"{problem.message} (set by environment variable {override.variable})"
            return Problem(problem.file, problem.field, message)
    return problem


def _load_appspec(path: Path, problems: list[Problem]) -> AppSpec | None:
    data = _read(path, problems)
    if data is None:
        return None
    try:
        return AppSpec.model_validate(data)
    except ValidationError as exc:
        problems += from_pydantic(str(path), exc)
        return None


def _appspec_fits(appspec: AppSpec, config: BluegreenConfig, shown_as: str) -> list[Problem]:
    info = appspec.target.load_balancer_info
    where = "Resources[0].TargetService.Properties.LoadBalancerInfo"
    problems = []
    if info.container_name != config.service.container:
        message = f"{info.container_name!r} is not service.container {config.service.container!r}"
        problems.append(Problem(shown_as, f"{where}.ContainerName", message))
    if info.container_port != config.service.container_port:
        message = (
            f"{info.container_port} is not service.container_port {config.service.container_port}"
        )
        problems.append(Problem(shown_as, f"{where}.ContainerPort", message))
    return problems
