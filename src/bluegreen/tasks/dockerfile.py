"""What a process task borrows from the project's Dockerfile: CMD and ENV.

Without `local.command`, the process driver runs the image's own command in
the project directory (the directory the image copies from). Parsing is
dockerfile-parse's (continuations, quoting, multi-stage: the last stage
counts). An exec-form CMD is joined into a shell line that still expands
`$PORT`, because locally the app must listen where the runner says.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from dockerfile_parse import DockerfileParser

from ..errors import Problem, SpecError


@dataclass(frozen=True)
class DockerfileDefaults:
    command: str | None = None
    env: dict[str, str] = field(default_factory=dict)


def read_dockerfile(project_dir: Path) -> DockerfileDefaults:
    """CMD and ENV of `project_dir/Dockerfile`; empty defaults when there is none."""
    path = project_dir / "Dockerfile"
    if not path.is_file():
        return DockerfileDefaults()
    parser = DockerfileParser(str(path))
    return DockerfileDefaults(command=_shell_line(parser.cmd, path), env=dict(parser.envs))


def _shell_line(cmd: str | None, path: Path) -> str | None:
    if not cmd:
        return None
    if not cmd.lstrip().startswith("["):
        return cmd
    try:
        argv = json.loads(cmd)
    except json.JSONDecodeError as exc:
        raise SpecError(Problem(str(path), "CMD", f"not a JSON array: {exc}")) from exc
    return " ".join(_quote(str(arg)) for arg in argv)


def _quote(arg: str) -> str:
    if "$" not in arg:
        return shlex.quote(arg)
    escaped = arg.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`")
    return f'"{escaped}"'
