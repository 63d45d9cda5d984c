"""A Docker engine and a registry of the tests' own, on loopback only.

dockerd gets its own data root, exec root, socket and pid file and no
bridge, iptables or IP forwarding (test-harnesses.md §0, §5); the registry
is Debian's `docker-registry` on 127.0.0.1 with a port the kernel picks.
Images come from a local static busybox, never from a public registry.
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import os
import re
import shutil
import signal
import subprocess
import tarfile
import time
from pathlib import Path

import docker
import pytest

REQUIRED = bool(os.environ.get("BLUEGREEN_REQUIRE_HARNESSES"))
HOW_TO_ENABLE = (
    "run as root with Debian's docker.io, docker-registry and busybox-static installed "
    "(`apt-get install -y --no-install-recommends docker.io docker-registry busybox-static`); "
    ".ci/run does both and sets BLUEGREEN_REQUIRE_HARNESSES=1, which makes this a failure"
)
BUSYBOX = Path("/bin/busybox")
BASE_IMAGE = "bluegreen-test/busybox:1"
PR_SET_PDEATHSIG = 1
APPLETS = ("sh", "httpd", "cat", "echo", "sleep", "wget", "ls", "mkdir", "true", "false", "kill")


def unavailable(reason: str) -> None:
    """Fail under BLUEGREEN_REQUIRE_HARNESSES (CI), else skip saying how to enable."""
    message = f"Docker harness unavailable: {reason}; {HOW_TO_ENABLE}"
    if REQUIRED:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def missing_piece() -> str | None:
    """What keeps the harness from starting here, or None."""
    if os.geteuid() != 0:
        return "dockerd needs root"
    for tool in ("dockerd", "docker-registry"):
        if shutil.which(tool) is None:
            return f"{tool} not found on PATH"
    if not BUSYBOX.is_file() or not _is_static(BUSYBOX):
        return f"{BUSYBOX} is missing or not the static build (busybox-static)"
    return None


def _die_with_us() -> None:
    """In the child before exec: SIGTERM when the test process dies, even by SIGKILL,
    so an interrupted run leaves no engine or registry behind."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _is_static(path: Path) -> bool:
    out = subprocess.run(["ldd", str(path)], capture_output=True, text=True)
    return out.returncode != 0 or "not a dynamic executable" in out.stdout + out.stderr


class Engine:
    """dockerd in `root` (keep it short: unix socket paths are limited to ~108 bytes)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.socket = root / "d.sock"
        self.base_url = f"unix://{self.socket}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> docker.DockerClient:
        log = (self.root / "dockerd.log").open("wb")
        self.process = subprocess.Popen(
            ["dockerd", "--data-root", str(self.root / "data"), "--exec-root",
             str(self.root / "exec"), "--pidfile", str(self.root / "dockerd.pid"),
             "-H", self.base_url, "--bridge=none", "--iptables=false",
             "--ip6tables=false", "--ip-forward=false"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_die_with_us,
        )  # fmt: skip
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(docker.errors.DockerException):
                client = docker.DockerClient(base_url=self.base_url, timeout=120)
                client.ping()
                return client
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                unavailable(f"dockerd did not start: {self.log_tail()}")
            time.sleep(0.1)

    def log_tail(self) -> str:
        text = (self.root / "dockerd.log").read_text(errors="replace").strip()
        return " | ".join(text.splitlines()[-5:])

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        netns = self.root / "exec" / "netns" / "default"
        if netns.exists():
            subprocess.run(["umount", str(netns)], capture_output=True)


class Registry:
    """Debian's docker-registry (distribution 2.8) on 127.0.0.1, optionally with htpasswd auth."""

    def __init__(self, root: Path, htpasswd: Path | None = None) -> None:
        self.root = root
        self.htpasswd = htpasswd
        self.process: subprocess.Popen[bytes] | None = None
        self.address = ""

    def start(self, timeout: float = 30) -> str:
        self.root.mkdir(parents=True, exist_ok=True)
        config = self.root / "config.yml"
        config.write_text(self._config())
        log_path = self.root / "registry.log"
        with log_path.open("wb") as log:
            self.process = subprocess.Popen(
                ["docker-registry", "serve", str(config)],
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_us,
            )
        deadline = time.monotonic() + timeout
        while not self.address:
            found = re.search(r"listening on (127\.0\.0\.1:\d+)", log_path.read_text())
            if found:
                self.address = found.group(1)
            elif self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                unavailable(f"docker-registry did not start: {log_path.read_text()[-500:]}")
            else:
                time.sleep(0.05)
        return self.address

    def _config(self) -> str:
        auth = ""
        if self.htpasswd:
            auth = f"auth:\n  htpasswd:\n    realm: test\n    path: {self.htpasswd}\n"
        return (
            "version: 0.1\nlog:\n  level: info\n"
            f"storage:\n  filesystem:\n    rootdirectory: {self.root / 'data'}\n"
            f"http:\n  addr: 127.0.0.1:0\n  secret: bluegreen-tests\n{auth}"
        )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


def import_busybox(client: docker.DockerClient) -> str:
    """A 2 MB base image from the static busybox: a rootfs tarball, `docker import`ed."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        tar.add(BUSYBOX, arcname="bin/busybox")
        for applet in APPLETS:
            link = tarfile.TarInfo(f"bin/{applet}")
            link.type, link.linkname = tarfile.SYMTYPE, "busybox"
            tar.addfile(link)
        for directory in ("tmp", "www", "proc", "sys", "dev", "etc"):
            info = tarfile.TarInfo(directory)
            info.type, info.mode = tarfile.DIRTYPE, 0o1777 if directory == "tmp" else 0o755
            tar.addfile(info)
    repository, _, tag = BASE_IMAGE.partition(":")
    client.api.import_image_from_data(buffer.getvalue(), repository=repository, tag=tag)
    return BASE_IMAGE
