"""Reading the user's files into plain data, or `Problem`s saying why not."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import yaml

from ..errors import Problem
from .problems import from_syntax


class Unreadable(Exception):
    """A file could not be read or parsed; carries the one problem."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def read_document(path: Path, shown_as: str) -> Any:
    """Parse JSON, YAML or TOML by extension; the top level must be an object."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise Unreadable(Problem(shown_as, "", "file not found")) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise Unreadable(Problem(shown_as, "", f"can't be read: {exc}")) from None
    try:
        data = _parse(path.suffix, text)
    except (ValueError, yaml.YAMLError) as exc:
        raise Unreadable(from_syntax(shown_as, exc)) from None
    if not isinstance(data, dict):
        kind = type(data).__name__ if data is not None else "empty"
        raise Unreadable(Problem(shown_as, "", f"expected an object at the top, got {kind}"))
    return data


def _parse(suffix: str, text: str) -> Any:
    if suffix == ".toml":
        return tomllib.loads(text)
    if suffix == ".json":
        return json.loads(text)
    return yaml.safe_load(text)
