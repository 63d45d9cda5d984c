"""Turning what parsers and validators complain about into `Problem`s.

Every library speaks its own dialect (pydantic locations, botocore's
validation report, TOML/JSON/YAML syntax errors with positions); users get
one: file, field path (or line/column), what was expected.

A message quotes the value it got, except in a container's `environment`:
those values are often secrets (`${DB_PASSWORD}`), and a message ends up in
terminals, CI logs and the daemon's log, so it names the field and the
expected type, never the value.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Sequence
from typing import Any

import yaml
from botocore.validate import ValidationErrors
from pydantic import ValidationError

from ..errors import Problem


def field_path(loc: Sequence[str | int]) -> str:
    """("containerDefinitions", 0, "name") -> "containerDefinitions[0].name"."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


HIDDEN = "a value not shown (environment values may be secrets)"
_ENVIRONMENT = re.compile(r"(^|\.)environment(\[|\.|$)")


def shown(field: str, value: object) -> str:
    """`value` as a message quotes it; hidden when it sits in an `environment`."""
    return HIDDEN if _ENVIRONMENT.search(field) else repr(value)


def from_pydantic(file: str, error: ValidationError, prefix: str = "") -> list[Problem]:
    problems = []
    for item in error.errors(include_url=False):
        loc = [p for p in item["loc"] if not _is_internal_loc(p)]
        field = field_path([prefix, *loc] if prefix else loc)
        problems.append(Problem(file, field, _pydantic_message(item, field)))
    return problems


def _is_internal_loc(part: object) -> bool:
    # pydantic names union/function-validator branches in the location
    # ("function-after[...]", "str"); users need the field, not the branch.
    return isinstance(part, str) and ("[" in part or part in {"str", "int", "float"})


def _pydantic_message(item: Any, field: str) -> str:
    message = str(item["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    value = item.get("input")
    if item["type"] == "missing":
        return "required field is missing"
    if item["type"] == "extra_forbidden":
        return "unknown field"
    if isinstance(value, str | int | float | bool) and repr(value) not in message:
        return f"{message} (got {shown(field, value)})"
    return message


def from_botocore(file: str, report: ValidationErrors) -> list[Problem]:
    """One problem per error in botocore's ParamValidator report."""
    problems = []
    errors: list[tuple[str, str, dict[str, Any]]] = vars(report)["_errors"]
    for error_type, name, details in errors:
        field = str(name).lstrip(".")
        if error_type == "unknown field":
            field = _join(field, details["unknown_param"])
            message = "unknown field; expected one of " + ", ".join(details["valid_names"])
        elif error_type == "missing required field":
            field = _join(field, details["required_name"])
            message = "required field is missing"
        elif error_type == "invalid type":
            types = " or ".join(dict.fromkeys(_type_name(t) for t in details["valid_types"]))
            message = f"expected {types}, got {shown(field, details['param'])}"
        else:
            message = _botocore_message(error_type, name, details)
        problems.append(Problem(file, field, message))
    return problems


def _botocore_message(error_type: str, name: str, details: dict[str, Any]) -> str:
    single = ValidationErrors()
    single.report(name, error_type, **details)
    return single.generate_report()


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _type_name(text: str) -> str:
    match = re.fullmatch(r"<class '(\w+)'>", text)
    names = {
        "str": "a string",
        "int": "an integer",
        "list": "a list",
        "tuple": "a list",
        "dict": "an object",
        "bool": "true or false",
    }
    if match:
        return names.get(match.group(1), match.group(1))
    return text


def from_syntax(file: str, error: Exception) -> Problem:
    """A parse error of TOML, JSON or YAML, with its line and column."""
    if isinstance(error, json.JSONDecodeError):
        return Problem(file, f"line {error.lineno}, column {error.colno}", f"bad JSON: {error.msg}")
    if isinstance(error, yaml.MarkedYAMLError) and error.problem_mark is not None:
        mark = error.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}"
        return Problem(file, where, f"bad YAML: {error.problem or error.context}")
    if isinstance(error, tomllib.TOMLDecodeError):
        match = re.search(r"\(at (line \d+, column \d+)\)", str(error))
        where = match.group(1) if match else ""
        return Problem(file, where, "bad TOML: " + re.sub(r"\s*\(at .*\)$", "", str(error)))
    return Problem(file, "", f"can't be parsed: {error}")
