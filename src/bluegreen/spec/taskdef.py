"""taskdef.json: an ECS task definition, exactly RegisterTaskDefinition's input.

Checked against the ECS service model botocore ships, so field names and
types match AWS exactly, plus what bluegreen needs: the load-balanced
container exists, maps the service's container port and is essential, and
a Fargate task definition has awsvpc networking, cpu and memory.

Placeholders, filled at render time, only inside string values:
  <IMAGE_URI>  the image to deploy (`--image`), <NAME> from `--set NAME=v`,
  ${VAR}       from `--set VAR=v` or the environment, `${VAR:-default}` with a
               default; `$${VAR}` stays `${VAR}` (for a shell in the container);
  <AWS_REGION>, <AWS_ACCOUNT_ID>, <EXECUTION_ROLE_ARN>, <LOG_GROUP>,
  <SERVICE_NAME>, <CONTAINER_NAME>
               from bluegreen.toml (after environment overrides) unless `--set`.
A placeholder left without a value is an error, because AWS would register
the literal text; so is a `--set NAME=v` for a placeholder the file does
not have, because a typo would otherwise deploy the default silently.
Keys `describe-task-definition` adds (taskDefinitionArn, revision, status,
...) are dropped and its `taskDefinition` wrapper is unwrapped, so its
output can be pasted as is.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import Problem, SpecError
from .problems import field_path
from .service_model import check_params

if TYPE_CHECKING:
    from .config import BluegreenConfig
    from .project import Project

PLACEHOLDER = re.compile(r"\$(\$\{[^}]*\})|\$\{([A-Za-z_]\w*)(?::-([^}]*))?\}|<([A-Z][A-Z0-9_]*)>")

# Placeholders [aws] fields fill; `bluegreen aws bootstrap` prints the last two.
AWS_FIELDS = {
    "AWS_REGION": "region",
    "AWS_ACCOUNT_ID": "account_id",
    "EXECUTION_ROLE_ARN": "execution_role_arn",
    "LOG_GROUP": "log_group",
}

READ_ONLY_KEYS = (
    "taskDefinitionArn",
    "revision",
    "status",
    "requiresAttributes",
    "compatibilities",
    "registeredAt",
    "registeredBy",
    "deregisteredAt",
)


def render_taskdef(
    project: Project,
    *,
    image: str | None = None,
    set_values: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
    local_defaults: bool = False,
) -> dict[str, Any]:
    """RegisterTaskDefinition kwargs with every placeholder filled.

    `local_defaults=True` is for the local platform, which needs no AWS
    values: the image defaults to `local/<service>:dev` and placeholders
    without a value stay as written (an `<EXECUTION_ROLE_ARN>` means
    nothing on this machine) instead of being an error.
    """
    values = {**builtin_values(project.config), **(set_values or {})}
    if image:
        values["IMAGE_URI"] = image
    elif local_defaults:
        values.setdefault("IMAGE_URI", f"local/{project.config.service.name}:dev")
    shown_as = str(project.taskdef_path)
    placeholders = _Placeholders(shown_as, values, os.environ if env is None else env)
    rendered = placeholders.fill(register_input(project.taskdef))
    problems = unknown_set_values(project.taskdef, set_values or {}, shown_as)
    if not local_defaults:
        problems += placeholders.missing
    if problems:
        raise SpecError(problems)
    problems = check_taskdef(rendered, project.config, shown_as) or _image_problems(
        rendered, shown_as, image
    )
    if problems:
        raise SpecError(problems)
    return rendered


# ECS's rule for ContainerDefinition.image: up to 255 letters, digits, hyphens,
# underscores, colons, periods, forward slashes and number signs (and `@` for a
# digest); botocore's model has no pattern for it, so a bad one would first be
# refused by RegisterTaskDefinition, or on the local platform never at all.
ECS_IMAGE = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-_:./#@]{0,254}")


def _image_problems(taskdef: Mapping[str, Any], shown_as: str, given: str | None) -> list[Problem]:
    problems = []
    for index, container in enumerate(taskdef.get("containerDefinitions", [])):
        uri = container.get("image", "")
        if ECS_IMAGE.fullmatch(uri):
            continue
        origin = " (from --image)" if given and uri == given else ""
        shown = uri if len(uri) <= 80 else f"{uri[:77]}..."
        message = (
            f"{shown!r}{origin} is not an image ECS accepts: at most 255 letters, digits "
            "and - _ : . / # @"
        )
        problems.append(Problem(shown_as, f"containerDefinitions[{index}].image", message))
    return problems


@dataclass
class _Placeholders:
    """Fills placeholders in every string of a document, noting each one
    without a value (left as written) with the field it sits in."""

    file: str
    values: Mapping[str, str]
    env: Mapping[str, str]
    missing: list[Problem] = field(default_factory=list)

    def fill(self, value: Any, loc: tuple[str | int, ...] = ()) -> Any:
        if isinstance(value, str):
            return PLACEHOLDER.sub(lambda match: self._one(match, loc), value)
        if isinstance(value, dict):
            return {k: self.fill(v, (*loc, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self.fill(v, (*loc, i)) for i, v in enumerate(value)]
        return value

    def _one(self, match: re.Match[str], loc: tuple[str | int, ...]) -> str:
        escaped, variable, default, name = match.groups()
        if escaped:
            return escaped
        value: str | None
        if variable:
            value = self.values.get(variable, self.env.get(variable, default))
        else:
            value = self.values.get(name)
        if value is None:
            message = _no_value(match.group(0), variable or name)
            self.missing.append(Problem(self.file, field_path(loc), message))
            return match.group(0)
        return value


def placeholders(document: Any) -> list[str]:
    """Every placeholder in a document, once each, in order of appearance."""
    if isinstance(document, str):
        return [m.group(0) for m in PLACEHOLDER.finditer(document) if not m.group(1)]
    if isinstance(document, dict):
        document = list(document.values())
    if not isinstance(document, list):
        return []
    return list(dict.fromkeys(found for child in document for found in placeholders(child)))


def unknown_set_values(
    document: Any, set_values: Mapping[str, str], shown_as: str
) -> list[Problem]:
    """A problem for each `--set` name that no placeholder in `document` has,
    listing the names that exist, nearest to the typo first."""
    names = list(dict.fromkeys(_name(found) for found in placeholders(document)))
    problems = []
    for name in set_values:
        if name in names:
            continue
        nearest = difflib.get_close_matches(name, names, n=len(names), cutoff=0)
        exist = ", ".join(nearest) if nearest else "none"
        message = (
            f"--set {name}: no placeholder <{name}> or ${{{name}}} in this file; "
            f"its placeholders (nearest first): {exist}"
        )
        problems.append(Problem(shown_as, "", message))
    return problems


def _name(placeholder: str) -> str:
    match = PLACEHOLDER.fullmatch(placeholder)
    return str(match.group(2) or match.group(4)) if match else placeholder


def builtin_values(config: BluegreenConfig) -> dict[str, str]:
    """Placeholder values bluegreen.toml already holds."""
    known = {
        **{name: getattr(config.aws, field) for name, field in AWS_FIELDS.items()},
        "SERVICE_NAME": config.service.name,
        "CONTAINER_NAME": config.service.container,
    }
    return {name: value for name, value in known.items() if value}


def _no_value(placeholder: str, name: str) -> str:
    if name == "IMAGE_URI":
        how = "pass --image URI (or run `bluegreen push` first)"
    elif placeholder.startswith("$"):
        how = f"set the environment variable {name} or pass --set {name}=..."
    else:
        how = f"pass --set {name}=..."
    if name in AWS_FIELDS:
        how += f" or set aws.{AWS_FIELDS[name]} in bluegreen.toml"
    return f"{placeholder} has no value; {how}"


def register_input(taskdef: Mapping[str, Any]) -> dict[str, Any]:
    """The document as RegisterTaskDefinition input: `describe-task-definition`
    output is unwrapped (`{"taskDefinition": {...}, "tags": [...]}`) and its
    read-only keys dropped."""
    inner = taskdef.get("taskDefinition")
    if isinstance(inner, dict) and "containerDefinitions" not in taskdef:
        taskdef = {**inner, **({"tags": taskdef["tags"]} if taskdef.get("tags") else {})}
    return {k: v for k, v in taskdef.items() if k not in READ_ONLY_KEYS}


def check_taskdef(taskdef: dict[str, Any], config: BluegreenConfig, shown_as: str) -> list[Problem]:
    """Every problem: the ECS model first; ours only on a well-formed document."""
    taskdef = register_input(taskdef)
    problems = check_params(shown_as, taskdef, "ecs", "RegisterTaskDefinition")
    if problems:
        return problems
    return _fargate_problems(taskdef, shown_as) + _lb_problems(taskdef, config, shown_as)


def _fargate_problems(taskdef: dict[str, Any], shown_as: str) -> list[Problem]:
    if "FARGATE" not in taskdef.get("requiresCompatibilities", []):
        return []
    problems = []
    if taskdef.get("networkMode") != "awsvpc":
        problems.append(Problem(shown_as, "networkMode", 'Fargate requires "awsvpc"'))
    for key in ("cpu", "memory"):
        if not taskdef.get(key):
            problems.append(Problem(shown_as, key, "Fargate requires a task-level value"))
    return problems


def _lb_problems(taskdef: dict[str, Any], config: BluegreenConfig, shown_as: str) -> list[Problem]:
    service = config.service
    names = [c.get("name") for c in taskdef["containerDefinitions"]]
    unnamed = [i for i, name in enumerate(names) if not name]
    if unnamed:
        field = f"containerDefinitions[{unnamed[0]}].name"
        return [Problem(shown_as, field, "required field is missing (ECS requires a name)")]
    if service.container not in names:
        message = (
            f"no container named {service.container!r} (service.container in bluegreen.toml); "
            f"containers are {names}"
        )
        return [Problem(shown_as, "containerDefinitions", message)]
    index = names.index(service.container)
    container = taskdef["containerDefinitions"][index]
    problems = []
    ports = [m.get("containerPort") for m in container.get("portMappings", [])]
    if service.container_port not in ports:
        message = (
            f"container {service.container!r} does not map port {service.container_port} "
            f"(service.container_port in bluegreen.toml); mapped: {ports}"
        )
        problems.append(Problem(shown_as, f"containerDefinitions[{index}].portMappings", message))
    if container.get("essential", True) is not True:
        message = "the load-balanced container must be essential"
        problems.append(Problem(shown_as, f"containerDefinitions[{index}].essential", message))
    return problems
