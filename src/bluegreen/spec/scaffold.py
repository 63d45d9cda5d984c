"""`bluegreen init`: the three files for an app that has none (or some) yet.

Guesses come from what the app already has, most specific first: an
existing taskdef.json (its family, its first container with a port), then
the Dockerfile (EXPOSE, CMD), then the app's source (its health route, see
`app_source`), then the directory name. Existing files are never
overwritten unless asked, and what is written passes `validate`.

init also makes git ignore `.bluegreen/`: it holds the admin token and the
state database, which `git add -A` would otherwise commit. And it warns,
saying what to write instead, when the app listens on a fixed port: the
local runner starts each task on the port in `PORT`, and an app that
ignores it never turns healthy.
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

from .app_source import command_port, scan_source
from .files import Unreadable, read_document

DEFAULT_PORT = 8080
DEFAULT_HEALTH_PATH = "/"
STATE_IGNORE = ".bluegreen/"


@dataclass(frozen=True)
class Guess:
    name: str
    container: str
    port: int
    command: str | None = None
    health_path: str = DEFAULT_HEALTH_PATH
    health_where: str | None = None
    """Where the app defines `health_path` (file:line), when it was found there."""
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    path: Path
    written: bool


@dataclass(frozen=True)
class _TaskdefFacts:
    family: str | None
    container: str | None
    port: int | None


def scaffold(directory: Path, *, force: bool = False, guess: Guess | None = None) -> list[Outcome]:
    """Write bluegreen.toml, appspec.yaml and taskdef.json where missing
    (all of them with `force`); returns what happened to each."""
    directory.mkdir(parents=True, exist_ok=True)
    values = _template_values(guess or guess_project(directory))
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


def ignore_state(directory: Path) -> bool:
    """Add `.bluegreen/` to the directory's .gitignore (made if missing) unless a
    line already ignores it; whether the file changed. Never rewrites a line."""
    path = directory / ".gitignore"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    ignored = {"/" + STATE_IGNORE, STATE_IGNORE, "/.bluegreen", ".bluegreen"}
    if any(line.strip() in ignored for line in text.splitlines()):
        return False
    separator = "\n" if text and not text.endswith("\n") else ""
    path.write_text(f"{text}{separator}{STATE_IGNORE}\n", encoding="utf-8")
    return True


def guess_project(directory: Path) -> Guess:
    taskdef = _existing_taskdef(directory / "taskdef.json")
    name = _service_name(taskdef.family or directory.resolve().name)
    dockerfile = directory / "Dockerfile"
    cmd, port = _from_dockerfile(dockerfile)
    command = _local_command(cmd, port)
    source = scan_source(directory)
    warnings = [fixed.warning() for fixed in source.fixed_ports]
    runs = command or _shell_line(cmd) or ""
    bound = command_port(runs)
    if bound is not None:
        warnings.insert(0, _command_warning(dockerfile.name, runs, bound))
    return Guess(
        name=name,
        container=taskdef.container or name,
        port=taskdef.port or port or DEFAULT_PORT,
        command=command,
        health_path=source.health_path or DEFAULT_HEALTH_PATH,
        health_where=source.health_where,
        warnings=tuple(warnings),
    )


def _service_name(text: str) -> str:
    """Lowercase letters, digits and dashes: a service name that also makes a
    valid image name (`local/<name>:dev`)."""
    name = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    return name or "app"


def _from_dockerfile(path: Path) -> tuple[str | None, int | None]:
    """CMD, and the port it serves on: EXPOSE's first, else the one CMD binds."""
    if not path.is_file():
        return None, None
    parser = DockerfileParser(str(path))
    port = None
    for instruction in parser.structure:
        match = re.match(r"(\d+)", instruction["value"].strip())
        if instruction["instruction"] == "EXPOSE" and match and port is None:
            port = int(match.group(1))
    return parser.cmd, port or command_port(_shell_line(parser.cmd) or "")


def _command_warning(dockerfile: str, line: str, port: int) -> str:
    instead = _on_port_variable(line, port)
    return (
        f"{dockerfile} CMD `{line}` listens on port {port}, not on $PORT "
        f"(the local runner gives each task its own port); "
        f"in bluegreen.toml write [local] command = {json.dumps(instead)}"
    )


def _local_command(cmd: str | None, port: int | None) -> str | None:
    """The CMD with its port replaced by $PORT on 127.0.0.1, or None when the
    CMD names no port (the local runner then runs the CMD as is)."""
    line = _shell_line(cmd)
    if not line or port is None or str(port) not in line:
        return None
    return _on_port_variable(line, port)


def _on_port_variable(line: str, port: int) -> str:
    """The command listening on 127.0.0.1 at $PORT instead of everywhere at `port`."""
    return re.sub(rf"\b{port}\b", "$PORT", line.replace("0.0.0.0", "127.0.0.1"))


def _shell_line(cmd: str | None) -> str | None:
    """CMD as one shell line: the exec form (a JSON list) joined, the shell form as is."""
    if not cmd or not cmd.lstrip().startswith("["):
        return cmd
    try:
        argv = json.loads(cmd)
    except ValueError:
        return None
    return shlex.join(str(a) for a in argv) if isinstance(argv, list) else None


def _existing_taskdef(path: Path) -> _TaskdefFacts:
    """The family, and the first container with a port mapping with its port."""
    try:
        data = read_document(path, str(path)) if path.exists() else {}
    except Unreadable:
        return _TaskdefFacts(None, None, None)
    if not isinstance(data, dict):
        return _TaskdefFacts(None, None, None)
    family = data.get("family") if isinstance(data.get("family"), str) else None
    containers = data.get("containerDefinitions")
    for container in containers if isinstance(containers, list) else []:
        port = _first_port(container)
        if port and isinstance(container.get("name"), str):
            return _TaskdefFacts(family, container["name"], port)
    return _TaskdefFacts(family, None, None)


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
        "health_path": guess.health_path,
    }
