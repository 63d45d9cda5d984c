"""The package boundaries of docs/architecture.md, checked on the source.

Each rule names a package and the packages it must never import. The data
plane (`lb`) must stay free of tasks, deployments and AWS so that it can run
on its own; the engine must stay free of the user's files and of every
platform so that it can be replayed and driven by any of them. A cycle
between modules of two different packages is refused too: it means two
packages are really one.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import bluegreen

ROOT = Path(bluegreen.__file__).parent

FORBIDDEN: dict[str, set[str]] = {
    "lb": {"tasks", "local", "aws", "ci", "cli", "engine", "images"},
    "tasks": {"lb", "local", "aws", "ci", "cli", "engine"},
    "engine": {"spec", "lb", "tasks", "local", "aws", "ci", "cli", "images"},
    "spec": {"lb", "tasks", "local", "aws", "ci", "cli", "images"},
    "vocabulary": {"spec", "engine", "lb", "tasks", "local", "aws", "ci", "cli", "images"},
    "images": {"lb", "tasks", "local", "aws", "ci", "cli"},
    "local": {"aws", "ci", "cli"},
    "aws": {"lb", "tasks", "local", "ci", "cli"},
    "ci": {"lb", "tasks", "local", "cli"},
}


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = ["bluegreen", *path.relative_to(root).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, root: Path = ROOT) -> set[str]:
    """Absolute `bluegreen.*` modules a file imports, relative imports resolved."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.add(module)
            # `from . import store` names a module; `from .store import Store` a class,
            # which the callers tell apart by what exists.
            found |= {f"{module}.{alias.name}" for alias in node.names}
    return {m for m in found if m.startswith("bluegreen.")}


def package_of(module: str) -> str:
    """The top-level part of bluegreen a module belongs to (`bluegreen.lb.proxy` → `lb`)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def source_files(root: Path = ROOT) -> Iterator[Path]:
    yield from sorted(root.rglob("*.py"))


def violations(root: Path = ROOT) -> list[str]:
    found = []
    for path in source_files(root):
        mine = package_of(module_name(path, root))
        bad = {m for m in imports_of(path, root) if package_of(m) in FORBIDDEN.get(mine, set())}
        # Name each import once: `a.b` for `from a.b import C`, not `a.b.C` too.
        for imported in sorted(m for m in bad if m.rsplit(".", 1)[0] not in bad):
            found.append(f"{module_name(path, root)} imports {imported}")
    return found


def cross_package_cycles(root: Path = ROOT) -> list[str]:
    """Pairs of modules in different packages that reach each other through imports."""
    modules = {module_name(p, root): p for p in source_files(root)}
    graph = {
        name: {m for m in imports_of(path, root) if m in modules and m != name}
        for name, path in modules.items()
    }
    reach: dict[str, set[str]] = {}
    for start in graph:
        seen, todo = set(), [start]
        while todo:
            for nxt in graph[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        reach[start] = seen
    return sorted(
        f"{a} <-> {b}"
        for a in graph
        for b in reach[a]
        if a < b and a in reach[b] and package_of(a) != package_of(b)
    )


def test_no_package_imports_what_its_rule_forbids() -> None:
    assert violations() == []


def test_no_import_cycle_crosses_a_package() -> None:
    assert cross_package_cycles() == []


@pytest.mark.parametrize(
    ("where", "line", "expected"),
    [
        ("lb/proxy.py", "from ..local import service\n", "bluegreen.local"),
        ("lb/proxy.py", "import bluegreen.tasks.runner\n", "bluegreen.tasks.runner"),
        (
            "engine/deployment.py",
            "from ..spec.config import ReadyAction\n",
            "bluegreen.spec.config",
        ),
        ("images/build.py", "from bluegreen.local.store import Store\n", "bluegreen.local.store"),
    ],
)
def test_a_forbidden_import_is_caught(tmp_path: Path, where: str, line: str, expected: str) -> None:
    tree = tmp_path / "bluegreen"
    target = tree / where
    target.parent.mkdir(parents=True)
    target.write_text(line)
    assert violations(tree) == [f"{module_name(target, tree)} imports {expected}"]


def test_a_cycle_across_packages_is_caught(tmp_path: Path) -> None:
    tree = tmp_path / "bluegreen"
    for where, line in (
        ("local/a.py", "from ..tasks import b\n"),
        ("tasks/b.py", "from ..local import a\n"),
    ):
        (tree / where).parent.mkdir(parents=True, exist_ok=True)
        (tree / where).write_text(line)
    assert cross_package_cycles(tree) == ["bluegreen.local.a <-> bluegreen.tasks.b"]
