"""Environment variables that override bluegreen.toml.

`BLUEGREEN_<SECTION>_<FIELD>` for every scalar field (nested tables join
with `_`: BLUEGREEN_DEPLOYMENT_ALARMS_ERROR_RATE), plus the names GitLab
users of CodeDeploy already set in their pipelines, so an existing
pipeline's variables keep working. The `BLUEGREEN_` name wins over the
legacy one. Values stay strings; the models convert and check them, and a
bad one is reported with the variable's name. A table value (a custom
deployment config) is written as in bluegreen.toml, a TOML inline table
`{ type = "canary", percent = 10 }`, or as a JSON object: the error for a
bad config suggests the TOML form, so both must work.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard, get_origin

from pydantic import BaseModel

from .config import BluegreenConfig
from .deployment_config import DeploymentConfig

LEGACY_NAMES: dict[str, tuple[str, str]] = {
    "AWS_DEFAULT_REGION": ("aws", "region"),
    "AWS_ACCOUNT_ID": ("aws", "account_id"),
    "ECR_REPO": ("aws", "ecr_repository"),
    "CODEDEPLOY_APP": ("aws", "codedeploy_application"),
    "CODEDEPLOY_GROUP": ("aws", "codedeploy_group"),
    "TEST_LB_DNS": ("aws", "test_listener_url"),
}


@dataclass(frozen=True)
class Override:
    variable: str
    path: tuple[str, ...]
    value: Any

    @property
    def field(self) -> str:
        return ".".join(self.path)

    def concerns(self, field: str) -> bool:
        """Whether a problem at `field` may come from this override: the same
        field, inside it, or a check over the table holding it."""
        mine = self.field
        return field == mine or field.startswith(mine + ".") or mine.startswith(field + ".")


def variable_names() -> list[str]:
    """Every environment variable that overrides a field of bluegreen.toml."""
    return [name for name, _, _ in _bluegreen_names(BluegreenConfig, ())] + list(LEGACY_NAMES)


def find_overrides(env: Mapping[str, str]) -> list[Override]:
    """The overrides present in `env`, legacy names first so BLUEGREEN_ ones win."""
    found = [
        Override(name, path, _legacy_value(name, env[name]))
        for name, path in LEGACY_NAMES.items()
        if env.get(name)
    ]
    for name, path, is_list in _bluegreen_names(BluegreenConfig, ()):
        if name in env:
            found.append(Override(name, path, _value(env[name], is_list)))
    return found


def apply_overrides(data: dict[str, Any], overrides: list[Override]) -> dict[str, Any]:
    """A copy of the parsed TOML with each override set at its path."""
    result = _copy(data)
    for override in overrides:
        table = result
        for key in override.path[:-1]:
            if not isinstance(table.get(key), dict):
                table[key] = {}
            table = table[key]
        table[override.path[-1]] = override.value
    return result


def _bluegreen_names(
    model: type[BaseModel], prefix: tuple[str, ...]
) -> Iterator[tuple[str, tuple[str, ...], bool]]:
    for name, info in model.model_fields.items():
        path = (*prefix, name)
        annotation = info.annotation
        if _is_section(annotation):
            yield from _bluegreen_names(annotation, path)
            continue
        if prefix:
            is_list = get_origin(annotation) in (tuple, list)
            yield "BLUEGREEN_" + "_".join(path).upper(), path, is_list


def _is_section(annotation: Any) -> TypeGuard[type[BaseModel]]:
    """A nested table of fields; a deployment config is one value (a name or a table)."""
    return (
        isinstance(annotation, type)
        and issubclass(annotation, BaseModel)
        and annotation is not DeploymentConfig
    )


def _value(text: str, is_list: bool) -> Any:
    if is_list:
        return tuple(part.strip() for part in text.split(",") if part.strip())
    if text.lstrip().startswith("{"):
        return _table(text)
    return text


def _table(text: str) -> Any:
    """A TOML inline table or a JSON object; the text itself when it is neither,
    which the model then rejects with the variable's name."""
    try:
        return tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        pass
    try:
        return json.loads(text)
    except ValueError:
        return text


def _legacy_value(name: str, text: str) -> str:
    if name == "TEST_LB_DNS" and "://" not in text:
        return "http://" + text
    return text


def _copy(data: dict[str, Any]) -> dict[str, Any]:
    return {k: _copy(v) if isinstance(v, dict) else v for k, v in data.items()}
