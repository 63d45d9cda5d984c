"""bluegreen as a user installs it: the wheel `make dist` builds, served by a
local package index, installed into clean virtualenvs outside the repository.

The index is a PEP 503 simple directory under `python -m http.server` on
127.0.0.1, and pip is given it as its only index, so bluegreen can come
from nowhere else. Its dependencies are not on that index: a clean venv
gets them first, from this machine's configured index, cache or
find-links. Building and installing take minutes on a busy machine, so
each is done once per test session and shared.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
INSTALL_TIMEOUT = 900


@functools.cache
def work_dir() -> Path:
    """Outside the repository, so nothing there can be imported by accident."""
    return Path(tempfile.mkdtemp(prefix="bluegreen-dist-"))


@functools.cache
def built_wheel() -> Path:
    """`make dist` once; its wheel, copied out of `dist/` (which the next build empties)."""
    done = subprocess.run(
        ["make", "-C", str(REPO), "dist"], capture_output=True, text=True, timeout=INSTALL_TIMEOUT
    )
    assert done.returncode == 0, done.stdout + done.stderr
    wheels = sorted((REPO / "dist").glob("bluegreen-*.whl"))
    assert len(wheels) == 1 and list((REPO / "dist").glob("bluegreen-*.tar.gz")), wheels
    return Path(shutil.copy(wheels[0], work_dir() / wheels[0].name))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class PackageIndex:
    url: str
    log: Path

    def served(self, name: str) -> bool:
        """Whether pip fetched `name` from this index (the server's access log)."""
        pattern = rf'"GET /[^ ]*{re.escape(name)} HTTP/1\.[01]" 200'
        return re.search(pattern, self.log.read_text()) is not None


@contextmanager
def package_index(wheel: Path, root: Path) -> Iterator[PackageIndex]:
    """A PEP 503 index serving `wheel` at http://127.0.0.1:PORT/simple/."""
    project = root / "simple" / "bluegreen"
    project.mkdir(parents=True)
    shutil.copy(wheel, project / wheel.name)
    link = f'<a href="{wheel.name}">{wheel.name}</a>'
    (project / "index.html").write_text(f"<!DOCTYPE html><html><body>{link}</body></html>\n")
    (root / "simple" / "index.html").write_text('<a href="bluegreen/">bluegreen</a>\n')
    port, log = free_port(), root / "index.log"
    command = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    with open(log, "w") as out:
        server = subprocess.Popen(command, cwd=root, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_for_port(port)
        yield PackageIndex(f"http://127.0.0.1:{port}/simple/", log)
    finally:
        server.terminate()
        server.wait(timeout=10)


def _wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def dependencies(wheel: Path) -> list[str]:
    """The wheel's own requirements (Requires-Dist without an extra)."""
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        lines = archive.read(name).decode().splitlines()
    found = [line.split(":", 1)[1].strip() for line in lines if line.startswith("Requires-Dist:")]
    return [requirement for requirement in found if "extra ==" not in requirement]


def clean_venv(path: Path) -> Path:
    """A new virtualenv with bluegreen's dependencies and not bluegreen; its
    bin directory."""
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True, timeout=300)
    pip = [str(path / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    done = subprocess.run(
        [*pip, *dependencies(built_wheel())], capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return path / "bin"


def job_env(venv_bin: Path, **values: str) -> dict[str, str]:
    """A job's environment: the clean venv first on PATH, no trace of this
    repository's venv, pip told to use only the local index for bluegreen."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    path = [p for p in env["PATH"].split(os.pathsep) if Path(p) != Path(sys.executable).parent]
    return {**env, "PATH": os.pathsep.join([str(venv_bin), *path]), **values}


@dataclass(frozen=True)
class Installed:
    bin: Path
    index: PackageIndex
    output: str


@functools.cache
def installed_by_the_pipeline(install_script: str, package: str) -> Installed:
    """Run the pipeline's install step (`install_script`) for BLUEGREEN_PACKAGE
    `package` as a job does, in a clean venv, against a local index serving
    the built wheel."""
    root = work_dir() / "pipeline-install"
    root.mkdir()
    venv_bin = clean_venv(root / "venv")
    with package_index(built_wheel(), root / "index") as index:
        env = job_env(
            venv_bin,
            BLUEGREEN_INSTALL="pip",
            BLUEGREEN_PACKAGE=package,
            PIP_INDEX_URL=index.url,
        )
        done = subprocess.run(
            ["sh", "-e", "-c", install_script],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT,
        )
    assert done.returncode == 0, done.stdout + done.stderr
    return Installed(venv_bin, index, done.stdout + done.stderr)
