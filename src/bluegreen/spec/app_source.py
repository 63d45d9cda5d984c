"""What an app's own code says that `bluegreen init` should follow: the
health route it defines and the ports it binds.

New users bring apps nobody here wrote, with a `/health` or `/healthz`
route and an `app.run(port=80)` line. Guessing `/` for the health check,
or running a task that ignores `PORT`, fails the first deployment for a
reason the user cannot see, so init reads the build context's source
files and follows what they say. The scan is bounded (files, bytes per
file, bytes in all) so that init in a large repository stays quick, and it
skips what is not the app's own code: dependencies, virtualenvs, VCS and
build output. It finds strings, not meaning; a route it misses leaves the
default, and a port it flags is only a warning.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

HEALTH_PATHS = ("/health", "/healthz", "/healthcheck")
"""The routes init looks for, in order of preference when an app has several."""

SOURCE_SUFFIXES = frozenset({".py", ".js", ".mjs", ".cjs", ".ts", ".rb", ".go"})
SKIPPED_DIRS = frozenset(
    {"node_modules", "venv", "__pycache__", "site-packages", "dist", "build", "vendor"}
)
MAX_FILES = 500
MAX_FILE_BYTES = 256 * 1024
MAX_TOTAL_BYTES = 4 * 1024 * 1024

# Flask `@app.route("/health")`, FastAPI `@app.get("/healthz")`, Django
# `path("healthcheck/", ...)`, Express `app.get('/health', ...)`, Go
# `http.HandleFunc("/health", ...)`, Rails `get "/health"`.
ROUTE = re.compile(
    r"""\b(?:route|get|head|api_route|path|re_path|add_url_rule|HandleFunc|Handle)"""
    r"""(?:\s*\(\s*|\s+)r?["'`]\^?/?(health|healthz|healthcheck)/?\$?["'`]"""
)
PYTHON_RUN_PORT = re.compile(r"(?:\b\w+)?\.run\([^)\n]*\bport\s*=\s*(\d{2,5})\b[^)\n]*\)?")
JS_LISTEN_PORT = re.compile(r"(?:\b\w+)?\.listen\(\s*(\d{2,5})\s*[,)]")
COMMAND_PORT = re.compile(
    r"(?:--port[=\s]+|(?:--bind|-b)[=\s]+(?:\S*:)?|\b(?:\d{1,3}(?:\.\d{1,3}){3}|localhost):)"
    r"(\d{2,5})\b"
)


@dataclass(frozen=True)
class FixedPort:
    """A line of the app's code that listens on a literal port."""

    where: str
    code: str
    port: int
    instead: str

    def warning(self) -> str:
        return (
            f"{self.where}: `{self.code}` listens on port {self.port}, not on $PORT "
            f"(the local runner gives each task its own port); write {self.instead}"
        )


@dataclass(frozen=True)
class SourceFacts:
    health_path: str | None = None
    health_where: str | None = None
    fixed_ports: tuple[FixedPort, ...] = ()


def scan_source(directory: Path) -> SourceFacts:
    """Health routes and literal listening ports in the source under `directory`."""
    routes: dict[str, str] = {}
    fixed: list[FixedPort] = []
    for path, text in _source_files(directory):
        shown = str(path.relative_to(directory))
        for match in ROUTE.finditer(text):
            routes.setdefault("/" + match.group(1), f"{shown}:{_line(text, match)}")
        fixed += _fixed_ports(shown, text)
    for route in HEALTH_PATHS:
        if route in routes:
            return SourceFacts(route, routes[route], tuple(fixed))
    return SourceFacts(fixed_ports=tuple(fixed))


def command_port(command: str) -> int | None:
    """The literal port a command line binds (`-b 0.0.0.0:80`, `--port 8000`), if any."""
    match = COMMAND_PORT.search(command)
    return int(match.group(1)) if match else None


def _fixed_ports(shown: str, text: str) -> list[FixedPort]:
    found = []
    for match in PYTHON_RUN_PORT.finditer(text):
        port = match.group(1)
        instead = f'port=int(os.environ.get("PORT", {port}))'
        found.append(FixedPort(f"{shown}:{_line(text, match)}", match.group(0), int(port), instead))
    for match in JS_LISTEN_PORT.finditer(text):
        port = match.group(1)
        instead = f".listen(process.env.PORT || {port})"
        found.append(FixedPort(f"{shown}:{_line(text, match)}", match.group(0), int(port), instead))
    return found


def _line(text: str, match: re.Match[str]) -> int:
    return text.count("\n", 0, match.start()) + 1


def _source_files(directory: Path) -> Iterator[tuple[Path, str]]:
    """(path, text) of the source files, in a stable order, within the bounds."""
    files = total = 0
    for root, dirs, names in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIPPED_DIRS)
        for name in sorted(names):
            path = Path(root) / name
            if path.suffix not in SOURCE_SUFFIXES or not path.is_file():
                continue
            if files >= MAX_FILES or total >= MAX_TOTAL_BYTES:
                return
            try:
                with path.open("rb") as source:
                    data = source.read(min(MAX_FILE_BYTES, MAX_TOTAL_BYTES - total))
            except OSError:
                continue  # the scan only guesses; a file it cannot read guesses nothing
            files, total = files + 1, total + len(data)
            yield path, data.decode("utf-8", errors="replace")
