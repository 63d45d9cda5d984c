"""BENCHMARKS.md holds one `## ` section per benchmark; each run replaces its own.

A benchmark prints its section; only with `--write` does it go into the
tracked file (`make bench` must not rewrite tracked files unless asked).
"""

from __future__ import annotations

import re
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "BENCHMARKS.md"


def replace_section(text: str, section: str) -> str:
    """`text` with the section of the same `## ` heading replaced (or appended)."""
    heading = section.splitlines()[0]
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.MULTILINE | re.DOTALL)
    body = section.rstrip("\n") + "\n\n"
    if pattern.search(text):
        return pattern.sub(lambda _: body, text, count=1)
    return text.rstrip("\n") + "\n\n" + body


def publish(section: str, write: bool, path: Path = BENCHMARKS) -> None:
    """Print the section; with `write`, put it into BENCHMARKS.md too."""
    print(section)
    if write:
        current = path.read_text() if path.exists() else "# Benchmarks\n"
        path.write_text(replace_section(current, section).rstrip("\n") + "\n")
        print(f"written to {path}")
