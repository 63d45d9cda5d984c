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

# What each part of bluegreen may import besides itself and the standard
# library. An allow-list, so that a new top-level module is a decision here.
ALLOWED: dict[str, set[str]] = {
    "vocabulary": set(),
    "errors": set(),
    "shell": set(),
    "state_dir": {"errors"},
    "engine": {"vocabulary"},
    "spec": {"vocabulary", "engine", "errors"},
    "platform": {"vocabulary", "engine", "errors"},
    "lb": {"spec", "errors"},
    "images": {"spec", "errors", "state_dir"},
    "tasks": {"spec", "errors", "images", "state_dir"},
    "gate": {"vocabulary", "engine", "spec", "errors", "shell"},
    "runtime": {"spec", "errors", "state_dir", "lb", "tasks"},
    "local": {
        *("vocabulary", "engine", "spec", "errors", "platform", "shell", "state_dir"),
        *("lb", "tasks", "gate", "notify", "runtime"),
    },
    "aws": {
        *("vocabulary", "engine", "spec", "errors", "platform", "shell", "images", "gate"),
        "notify",
    },
    "emulator": {
        *("vocabulary", "engine", "spec", "errors", "state_dir", "shell", "lb", "tasks"),
    },
    "ci": {*("vocabulary", "engine", "spec", "errors", "platform", "shell", "images", "gate")},
    "plan": {"vocabulary", "engine", "spec", "errors", "platform", "tasks"},
    "notify": {"vocabulary", "engine", "spec", "errors"},
}
THIN = {"cli", ""}  # the command, and the package's own __init__, may import anything


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


def package_of(module: str, root: Path = ROOT) -> str:
    """The top-level part of bluegreen a module belongs to (`bluegreen.lb.proxy` → `lb`);
    "" for the package itself (`from bluegreen import __version__`)."""
    parts = module.split(".")
    if len(parts) < 2 or not any((root / f"{parts[1]}{end}").exists() for end in ("", ".py")):
        return ""
    return parts[1]


def source_files(root: Path = ROOT) -> Iterator[Path]:
    yield from sorted(root.rglob("*.py"))


def violations(root: Path = ROOT) -> list[str]:
    found = []
    for path in source_files(root):
        mine = package_of(module_name(path, root), root)
        if mine in THIN:
            continue
        allowed = {mine, ""} | ALLOWED.get(mine, set())
        bad = {m for m in imports_of(path, root) if package_of(m, root) not in allowed}
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
        if a < b and a in reach[b] and package_of(a, root) != package_of(b, root)
    )


def test_no_package_imports_what_its_rule_forbids() -> None:
    assert violations() == []


def test_every_part_of_bluegreen_has_a_rule() -> None:
    parts = {package_of(module_name(path)) for path in source_files()}
    assert parts - THIN <= set(ALLOWED), "add the new part to ALLOWED with what it may import"


def test_no_import_cycle_crosses_a_package() -> None:
    assert cross_package_cycles() == []


@pytest.mark.parametrize(
    ("where", "line", "there", "expected"),
    [
        ("lb/proxy.py", "from ..local import service\n", "local/service.py", "bluegreen.local"),
        (
            "lb/proxy.py",
            "import bluegreen.tasks.runner\n",
            "tasks/runner.py",
            "bluegreen.tasks.runner",
        ),
        ("engine/deployment.py", "from ..spec import config\n", "spec/config.py", "bluegreen.spec"),
        ("engine/deployment.py", "from ..errors import Problem\n", "errors.py", "bluegreen.errors"),
        (
            "images/build.py",
            "from bluegreen.local.store import S\n",
            "local/store.py",
            "bluegreen.local.store",
        ),
    ],
)
def test_a_forbidden_import_is_caught(
    tmp_path: Path, where: str, line: str, there: str, expected: str
) -> None:
    tree = tmp_path / "bluegreen"
    for path, text in ((tree / there, ""), (tree / where, line)):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert violations(tree) == [f"{module_name(tree / where, tree)} imports {expected}"]


def test_a_cycle_across_packages_is_caught(tmp_path: Path) -> None:
    tree = tmp_path / "bluegreen"
    for where, line in (
        ("local/a.py", "from ..tasks import b\n"),
        ("tasks/b.py", "from ..local import a\n"),
    ):
        (tree / where).parent.mkdir(parents=True, exist_ok=True)
        (tree / where).write_text(line)
    assert cross_package_cycles(tree) == ["bluegreen.local.a <-> bluegreen.tasks.b"]
