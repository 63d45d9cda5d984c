"""Random mutations of the valid example files never make a traceback
escape: every outcome is success or a SpecError (exit 2) with problems."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bluegreen.errors import SpecError
from bluegreen.spec.appspec import render_appspec
from bluegreen.spec.overrides import variable_names
from bluegreen.spec.project import load_project
from bluegreen.spec.taskdef import render_taskdef

from .helpers import EXAMPLE, IMAGE

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(["<IMAGE_URI>", "${HOME}", "0.0", "web", "8000", "1s", "-1", "200-399"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else []
    )
    for key, child in items:
        found += _paths(child, (*prefix, key))
    return found


def _mutate(data: Any, path: tuple[Any, ...], new: Any, delete: bool) -> Any:
    if not path:
        return new
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = new
    return data


@st.composite
def structured(draw: st.DrawFn, name: str) -> tuple[str, str]:
    """A JSON or YAML file with one value replaced or deleted somewhere."""
    text = (EXAMPLE / name).read_text()
    data = json.loads(text) if name.endswith(".json") else yaml.safe_load(text)
    path = draw(st.sampled_from(_paths(data)))
    data = _mutate(data, path, draw(VALUES), delete=bool(path) and draw(st.booleans()))
    dumped = json.dumps(data) if name.endswith(".json") else yaml.safe_dump(data)
    return name, dumped


@st.composite
def textual(draw: st.DrawFn) -> tuple[str, str]:
    """Any of the files with a slice of its text replaced by random text."""
    name = draw(st.sampled_from(["bluegreen.toml", "taskdef.json", "appspec.yaml"]))
    text = (EXAMPLE / name).read_text()
    start = draw(st.integers(0, len(text)))
    end = draw(st.integers(start, min(len(text), start + 20)))
    filler = draw(
        st.text(alphabet=st.sampled_from(list('0123456789"[]{}=:-., \n#abcxyz<>$')), max_size=8)
    )
    return name, text[:start] + filler + text[end:]


@st.composite
def toml_values(draw: st.DrawFn) -> tuple[str, str]:
    """bluegreen.toml with one `key = value` line given a random value
    (JSON scalars and arrays are TOML, except null, which is a syntax error)."""
    lines = (EXAMPLE / "bluegreen.toml").read_text().splitlines()
    candidates = [i for i, line in enumerate(lines) if " = " in line and not line.startswith("#")]
    index = draw(st.sampled_from(candidates))
    key = lines[index].split(" = ")[0]
    value = draw(st.one_of(SCALARS, st.lists(SCALARS, max_size=3)))
    lines[index] = f"{key} = {json.dumps(value)}"
    return "bluegreen.toml", "\n".join(lines)


def _load_and_render(directory: Path) -> None:
    try:
        project = load_project(directory, env={})
        render_taskdef(project, image=IMAGE, env={})
        render_appspec(project, "arn:aws:ecs:us-east-1:123456789012:task-definition/x:1")
    except SpecError as exc:
        assert exc.problems
        assert all(p.file.startswith(str(directory)) for p in exc.problems)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(structured("taskdef.json"), structured("appspec.yaml"), toml_values(), textual()))
def test_no_mutation_lets_a_traceback_escape(mutation: tuple[str, str]):
    name, content = mutation
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp) / "app"
        shutil.copytree(EXAMPLE, directory)
        (directory / name).write_text(content)
        _load_and_render(directory)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(variable_names()), st.text(max_size=12), max_size=3))
def test_no_environment_value_lets_a_traceback_escape(env: dict[str, str]):
    try:
        load_project(EXAMPLE, env=env)
    except SpecError as exc:
        assert exc.problems
        assert all(p.file.startswith(str(EXAMPLE)) for p in exc.problems)
