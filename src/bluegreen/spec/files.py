"""Reading the user's files into plain data, or `Problem`s saying why not.

A file is read only when it is a regular file of a sane size, and parsed
data only kept when it is not absurdly nested: a FIFO named `taskdef.json`
would block `validate` forever, and a 200 KB document nested 100,000 deep
makes every recursive reader (the parsers, pydantic, botocore's validator)
raise RecursionError. Real task definitions, AppSpecs and bluegreen.toml
files are a few KB and a handful of levels deep.
"""

from __future__ import annotations

import json
import os
import stat
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


MAX_BYTES = 1024 * 1024
MAX_DEPTH = 32


def read_document(path: Path, shown_as: str) -> Any:
    """Parse JSON, YAML or TOML by extension; the top level must be an object."""
    text = _read_text(path, shown_as)
    try:
        data = _parse(path.suffix, text)
    except (ValueError, yaml.YAMLError) as exc:
        raise Unreadable(from_syntax(shown_as, exc)) from None
    except RecursionError:
        raise _too_deep(shown_as) from None
    if not isinstance(data, dict):
        kind = type(data).__name__ if data is not None else "empty"
        raise Unreadable(Problem(shown_as, "", f"expected an object at the top, got {kind}"))
    if _depth(data) > MAX_DEPTH:
        raise _too_deep(shown_as)
    return data


def _read_text(path: Path, shown_as: str) -> str:
    """The file's text, checked to be a regular file under MAX_BYTES before it is opened."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise Unreadable(Problem(shown_as, "", "file not found")) from None
    except OSError as exc:
        raise Unreadable(Problem(shown_as, "", f"can't be read: {exc}")) from None
    if not stat.S_ISREG(info.st_mode):
        raise Unreadable(Problem(shown_as, "", "not a regular file; expected a file of text"))
    if info.st_size > MAX_BYTES:
        size = f"{info.st_size:,} bytes; at most {MAX_BYTES:,} are read"
        raise Unreadable(Problem(shown_as, "", f"too large ({size})"))
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise Unreadable(Problem(shown_as, "", f"can't be read: {exc}")) from None


def _depth(data: Any) -> int:
    """How deeply lists and objects nest (iteratively: the input may be deep)."""
    deepest, todo = 0, [(data, 1)]
    while todo:
        value, level = todo.pop()
        children = value.values() if isinstance(value, dict) else value
        if isinstance(value, dict | list):
            deepest = max(deepest, level)
            if level <= MAX_DEPTH:
                todo += [(child, level + 1) for child in children]
    return deepest


def _too_deep(shown_as: str) -> Unreadable:
    message = f"nested more than {MAX_DEPTH} levels deep; no task definition, AppSpec or config is"
    return Unreadable(Problem(shown_as, "", message))


def _parse(suffix: str, text: str) -> Any:
    if suffix == ".toml":
        return tomllib.loads(text)
    if suffix == ".json":
        return json.loads(text)
    return yaml.safe_load(text)
