"""`bluegreen init`: the three files for an app that has none (or some) yet.

Guesses come from what the app already has, most specific first: an
existing taskdef.json (its first container with a port), then the
Dockerfile (EXPOSE, CMD), then the directory name. Existing files are
never overwritten unless asked, and what is written passes `validate`.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

from dockerfile_parse import DockerfileParser

from .files import Unreadable, read_document

DEFAULT_PORT = 8080


@dataclass(frozen=True)
class Guess:
    name: str
    container: str
    port: int
    command: str | None = None


@dataclass(frozen=True)
class Outcome:
    path: Path
    written: bool


def scaffold(directory: Path, *, force: bool = False) -> list[Outcome]:
    """Write bluegreen.toml, appspec.yaml and taskdef.json where missing
    (all of them with `force`); returns what happened to each."""
    directory.mkdir(parents=True, exist_ok=True)
    guess = guess_project(directory)
    values = _template_values(guess)
    outcomes = []
    for name in ("taskdef.json", "appspec.yaml", "bluegreen.toml"):
        path = directory / name
        if path.exists() and not force:
            outcomes.append(Outcome(path, written=False))
            continue
        template = resources.files(__package__).joinpath("templates", name).read_text()
        path.write_text(Template(template).substitute(values), encoding="utf-8")
        outcomes.append(Outcome(path, written=True))
    return outcomes


def guess_project(directory: Path) -> Guess:
    name = _service_name(directory.resolve().name)
    port, command = _from_dockerfile(directory / "Dockerfile")
    container = name
    taskdef = _existing_taskdef(directory / "taskdef.json")
    if taskdef:
        container, port = taskdef
    return Guess(name=name, container=container, port=port or DEFAULT_PORT, command=command)


def _service_name(text: str) -> str:
    name = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    return name or "app"


def _from_dockerfile(path: Path) -> tuple[int | None, str | None]:
    """EXPOSE's first port, and CMD made to listen where the local runner says."""
    if not path.is_file():
        return None, None
    parser = DockerfileParser(str(path))
    port = None
    for instruction in parser.structure:
        match = re.match(r"(\d+)", instruction["value"].strip())
        if instruction["instruction"] == "EXPOSE" and match and port is None:
            port = int(match.group(1))
    return port, _local_command(parser.cmd, port)


def _local_command(cmd: str | None, port: int | None) -> str | None:
    """The CMD with its port replaced by $PORT on 127.0.0.1, or None when the
    CMD names no port (the local runner then runs the CMD as is)."""
    if not cmd or port is None or str(port) not in cmd:
        return None
    try:
        argv = json.loads(cmd) if cmd.lstrip().startswith("[") else None
    except ValueError:
        return None
    line = shlex.join(str(a) for a in argv) if isinstance(argv, list) else cmd
    return re.sub(rf"\b{port}\b", "$PORT", line.replace("0.0.0.0", "127.0.0.1"))


def _existing_taskdef(path: Path) -> tuple[str, int] | None:
    """(container, port) of the first container with a port mapping."""
    try:
        data = read_document(path, str(path)) if path.exists() else {}
    except Unreadable:
        return None
    containers = data.get("containerDefinitions")
    for container in containers if isinstance(containers, list) else []:
        port = _first_port(container)
        if port and isinstance(container.get("name"), str):
            return container["name"], port
    return None


def _first_port(container: Any) -> int | None:
    mappings = container.get("portMappings") if isinstance(container, dict) else None
    for mapping in mappings if isinstance(mappings, list) else []:
        port = mapping.get("containerPort") if isinstance(mapping, dict) else None
        if isinstance(port, int) and not isinstance(port, bool) and 1 <= port <= 65535:
            return port
    return None


def _template_values(guess: Guess) -> dict[str, str]:
    command = (
        f"command = {json.dumps(guess.command)}"
        if guess.command
        else '# command = "..."         # default: the Dockerfile\'s CMD, with PORT set'
    )
    return {
        "name": guess.name,
        "container": guess.container,
        "port": str(guess.port),
        "command_line": command,
    }
