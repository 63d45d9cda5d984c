"""A bluegreen project around the busybox test app: the example's files, our Dockerfile."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "flask-app"
APP = Path(__file__).parent / "app"


def make_project(directory: Path, *, toml_edits: dict[str, str] | None = None) -> Path:
    """The example project with the test app's Dockerfile and www/; `toml_edits` replace lines."""
    shutil.copytree(APP, directory)
    for name in ("taskdef.json", "appspec.yaml"):
        shutil.copy(EXAMPLE / name, directory / name)
    toml = (EXAMPLE / "bluegreen.toml").read_text()
    for old, new in (toml_edits or {}).items():
        assert old in toml, old
        toml = toml.replace(old, new)
    (directory / "bluegreen.toml").write_text(toml)
    return directory


def bluegreen(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
              timeout: float = 120) -> subprocess.CompletedProcess[str]:  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "bluegreen.cli", *args],
        capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout,
    )  # fmt: skip


def git_commit(directory: Path) -> str:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(directory), "-c", "user.name=t", "-c", "user.email=t@t", *args],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip

    git("init", "-q")
    git("add", ".")
    git("commit", "-q", "-m", "app")
    return git("rev-parse", "--short", "HEAD")
