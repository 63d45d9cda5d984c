"""Tools the CI tests run: check-jsonschema, POSIX shells, gitlab-ci-local.

A missing tool skips its tests with the reason on a laptop and fails them
where `BLUEGREEN_REQUIRE_HARNESSES=1` (set by `.ci/run`), so CI never
passes by skipping.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GITLAB_CI_LOCAL_VERSION = "4.73.0"


def missing(reason: str) -> None:
    if os.environ.get("BLUEGREEN_REQUIRE_HARNESSES") == "1":
        pytest.fail(f"{reason} (required: BLUEGREEN_REQUIRE_HARNESSES=1)")
    pytest.skip(reason)


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        missing(f"{name} not found on PATH")
    assert found is not None
    return found


def check_schema(paths: list[Path]) -> subprocess.CompletedProcess[str]:
    """check-jsonschema with GitLab's CI schema as the package vendors it (offline)."""
    command = [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.gitlab-ci"]
    return subprocess.run([*command, *map(str, paths)], capture_output=True, text=True, timeout=60)


def yaml_documents(text: str) -> list[Any]:
    return list(yaml.safe_load_all(text))


def script_blocks(pipeline: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(job, key, block) for every before_script/script/after_script entry."""
    found = []
    for job, body in pipeline.items():
        if not isinstance(body, dict):
            continue
        for key in ("before_script", "script", "after_script"):
            for block in body.get(key, []):
                found.append((job, key, block))
    return found


def job_script(pipeline: dict[str, Any], job: str) -> str:
    """The shell a runner executes for `job`: before_script (from extends) then
    script, one command per line in order, as GitLab concatenates them."""
    body = pipeline[job]
    base = pipeline.get(body.get("extends", ""), {})
    before = body.get("before_script", base.get("before_script", []))
    return "\n".join([*before, *body["script"]]) + "\n"


def gitlab_ci_local() -> Path:
    """gitlab-ci-local from the committed lock, `npm ci`'d once into a cache
    keyed by the lock's hash (about 5 s the first time)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None and npm is None:
        missing("neither node nor npm is installed: gitlab-ci-local cannot run")
    if node is None or npm is None:
        missing(f"{'node' if node is None else 'npm'} is missing: gitlab-ci-local cannot run")
    tool("rsync")  # gitlab-ci-local copies the tree with it
    lock = (REPO / "package-lock.json").read_bytes()
    cache_root = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    home = cache_root / "bluegreen-tests" / ("npm-" + hashlib.sha256(lock).hexdigest()[:16])
    binary = home / "node_modules" / ".bin" / "gitlab-ci-local"
    if not binary.exists():
        home.mkdir(parents=True, exist_ok=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copy(REPO / name, home / name)
        subprocess.run(
            [str(npm), "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=home,
            check=True,
            timeout=300,
        )
    return binary
