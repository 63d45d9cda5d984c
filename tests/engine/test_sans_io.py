"""Nothing under engine/ may do I/O, read a clock, or import more than the vocabulary."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import bluegreen.engine

FORBIDDEN = {"asyncio", "socket", "subprocess", "threading", "time", "boto3", "httpx"}
PLATFORMS = {"bluegreen.local", "bluegreen.aws", "bluegreen.ci", "bluegreen.cli"}
ENGINE = Path(bluegreen.engine.__file__).parent


def _imports(path: Path) -> set[str]:
    """Absolute module names imported by a module of bluegreen.engine."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = "bluegreen.engine" if node.level == 1 else "bluegreen" if node.level else ""
            module = ".".join(p for p in (base, node.module or "") if p)
            names.add(module)
    return names


def test_engine_modules_import_no_io_and_no_clock() -> None:
    modules = sorted(ENGINE.glob("*.py"))
    assert len(modules) >= 5
    for path in modules:
        for name in _imports(path):
            assert name.split(".")[0] not in FORBIDDEN, f"{path.name} imports {name}"
            assert not any(name.startswith(p) for p in PLATFORMS), f"{path.name} imports {name}"


def test_engine_imports_only_the_standard_library_and_the_vocabulary() -> None:
    ours = ("bluegreen.engine", "bluegreen.vocabulary")
    for path in sorted(ENGINE.glob("*.py")):
        for name in _imports(path):
            top = name.split(".")[0]
            allowed = top in sys.stdlib_module_names or name.startswith(ours)
            assert allowed or top == "__future__", f"{path.name} imports {name}"


def test_the_checker_sees_relative_and_absolute_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import time\nfrom asyncio import sleep\nfrom ..local import store\n")
    assert _imports(sample) == {"time", "asyncio", "bluegreen.local"}
