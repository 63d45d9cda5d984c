"""The shell blocks of a Markdown file, with what the doc says about running them.

A fenced block counts as shell when its info string is `sh`, `bash`, `shell` or
`console`, or when it has none: a block that is not a command (a diagram, a
setting to paste into a web form) says what it is instead (```text). In a
`console` block only the lines after a `$ ` prompt are commands; the rest is
what they print.

An HTML comment right above a block (blank lines between are fine) may say how
to run it:

- `<!-- docs-test: skip (why) -->`: not runnable here, for the reason given;
  a skip without a reason is an error, since a reader should learn why;
- `<!-- docs-test: exit N -->`: the block ends with exit status N (the doc
  says so next to it), not 0.

Anything else after `docs-test:`, or a marker with no shell block under it,
is an error too, so a typo never turns into a silent skip.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

SHELL_LANGUAGES = frozenset({"", "sh", "bash", "shell", "console"})
FENCE = re.compile(r"^(?P<fence>```+|~~~+)\s*(?P<info>[^`\s]*)")
MARKER = re.compile(r"^<!--\s*docs-test:(?P<body>.*?)-->\s*$")
SKIP = re.compile(r"^skip\s*\((?P<reason>[^)]*[^)\s][^)]*)\)$")
EXIT = re.compile(r"^exit\s+(?P<status>\d{1,3})$")


@dataclass(frozen=True)
class ShellBlock:
    """One shell block: where it starts (the fence's line) and what to do with it."""

    path: Path
    line: int
    script: str
    skip_reason: str | None = None
    expected_exit: int = 0

    @property
    def where(self) -> str:
        return f"{self.path.name}:{self.line}"


@dataclass(frozen=True)
class Marker:
    line: int
    skip_reason: str | None
    expected_exit: int


def parse_marker(body: str, path: Path, line: int) -> Marker:
    """A `docs-test:` comment's meaning, or ValueError saying what is wrong with it."""
    text = body.strip()
    if skip := SKIP.match(text):
        return Marker(line, skip["reason"].strip(), 0)
    if status := EXIT.match(text):
        return Marker(line, None, int(status["status"]))
    raise ValueError(
        f"{path.name}:{line}: docs-test marker {text!r}: "
        "expected 'skip (reason)' with a reason, or 'exit N'"
    )


def console_commands(text: str) -> str:
    """The commands of a console block: its `$ ` lines and their continuations."""
    commands: list[str] = []
    continued = False
    for line in text.splitlines():
        if line.startswith("$ ") or continued:
            commands.append(line[2:] if line.startswith("$ ") and not continued else line)
            continued = line.endswith("\\")
    return "\n".join(commands) + "\n"


def shell_blocks(path: Path) -> tuple[list[ShellBlock], list[str]]:
    """Every shell block of `path` in order, and every marker problem found."""
    blocks: list[ShellBlock] = []
    problems: list[str] = []
    lines = path.read_text().splitlines()
    marker: Marker | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        if found := MARKER.match(line.strip()):
            if marker is not None:
                problems.append(f"{path.name}:{marker.line}: docs-test marker with no block")
            try:
                marker = parse_marker(found["body"], path, index + 1)
            except ValueError as error:
                problems.append(str(error))
                marker = None
        elif fence := FENCE.match(line):
            end = _closing(lines, index, fence["fence"])
            body = "\n".join(lines[index + 1 : end]) + "\n"
            language = fence["info"].lower()
            if language in SHELL_LANGUAGES:
                script = console_commands(body) if language == "console" else body
                skip, status = (marker.skip_reason, marker.expected_exit) if marker else (None, 0)
                blocks.append(ShellBlock(path, index + 1, script, skip, status))
            elif marker is not None:
                problems.append(
                    f"{path.name}:{marker.line}: docs-test marker above a {language} block"
                )
            marker = None
            index = end
        elif line.strip() and marker is not None:
            problems.append(f"{path.name}:{marker.line}: docs-test marker with no block under it")
            marker = None
        index += 1
    if marker is not None:
        problems.append(f"{path.name}:{marker.line}: docs-test marker with no block under it")
    return blocks, problems


def _closing(lines: list[str], start: int, fence: str) -> int:
    """The index of the line that closes the block opened at `start`."""
    for index in range(start + 1, len(lines)):
        if (
            lines[index].strip().startswith(fence[0] * len(fence))
            and not lines[index].strip(fence[0]).strip()
        ):
            return index
    raise ValueError(f"line {start + 1}: a code block that never closes")
