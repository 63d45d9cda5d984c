"""`make demo`: a real blue/green deployment of examples/flask-app on this machine.

Starts the local platform for a temporary copy of the example (so the
checkout stays clean and its `.bluegreen/` never collides with yours), on
free ports, deploys v1, then v2 as a canary (20 %, then the rest after 5 s)
while a load generator sends requests through the production listener,
and prints how many of them failed: a connection error or a 5xx (the
example app answers none). It stops the platform whatever happens.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

EXAMPLE = Path(__file__).parent / "flask-app"
CANARY = {"type": "canary", "percent": 20, "interval": "5s"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bluegreen(*args: str, env: dict[str, str]) -> int:
    """The real CLI, on this terminal (the live view shows when stdout is one)."""
    print(f"\n$ bluegreen {' '.join(args)}", flush=True)
    return subprocess.run([sys.executable, "-m", "bluegreen.cli", *args], env=env).returncode


class Load:
    """Requests through the production listener, one after another, until stopped."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.seen: Counter[str] = Counter()
        self.failed: list[str] = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        with httpx.Client(timeout=10) as client:
            while not self.done.is_set():
                try:
                    response = client.get(self.url)
                    if response.status_code >= 500:
                        self.failed.append(f"HTTP {response.status_code}")
                    else:
                        self.seen[response.text.split(" on ")[0].strip()] += 1
                except httpx.HTTPError as exc:
                    self.failed.append(type(exc).__name__)
                time.sleep(0.02)

    def __enter__(self) -> Load:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.done.set()
        self.thread.join()


def deploy_under_load(app: str, env: dict[str, str]) -> int:
    prod = f"http://127.0.0.1:{env['BLUEGREEN_LOCAL_PROD_PORT']}/"
    if bluegreen("deploy", app, "--set", "APP_VERSION=v1", env=env) != 0:
        return 1
    with Load(prod) as load:
        code = bluegreen("deploy", app, "--set", "APP_VERSION=v2", env=env)
    total = sum(load.seen.values()) + len(load.failed)
    print(f"\nrequests during the v2 deployment: {total}")
    for answer, count in sorted(load.seen.items()):
        print(f"  {count:5d}  {answer}")
    print(f"failed requests: {len(load.failed)}" + (f" {load.failed[:5]}" if load.failed else ""))
    return code or (1 if load.failed else 0)


def main() -> int:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bluegreen-demo-") as temp:
        app = str(Path(temp) / "flask-app")
        shutil.copytree(EXAMPLE, app, ignore=shutil.ignore_patterns(".bluegreen", "__pycache__"))
        env = {
            **os.environ,
            # As a user with this virtualenv activated: the app's gunicorn is found there.
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
            # Yours if set (as the README's override paragraph says), else free ones.
            "BLUEGREEN_LOCAL_PROD_PORT": os.environ.get("BLUEGREEN_LOCAL_PROD_PORT")
            or str(free_port()),
            "BLUEGREEN_LOCAL_TEST_PORT": os.environ.get("BLUEGREEN_LOCAL_TEST_PORT")
            or str(free_port()),
            "BLUEGREEN_LOCAL_ADMIN_PORT": os.environ.get("BLUEGREEN_LOCAL_ADMIN_PORT") or "0",
            "BLUEGREEN_DEPLOYMENT_CONFIG": json.dumps(CANARY),
            "BLUEGREEN_DEPLOYMENT_TERMINATION_WAIT": "2s",
        }
        if bluegreen("up", app, env=env) != 0:
            return 1
        try:
            code = deploy_under_load(app, env)
        finally:
            bluegreen("down", app, env=env)
    print(f"\ndemo {'passed' if code == 0 else 'FAILED'} in {time.monotonic() - started:.0f}s")
    return code


if __name__ == "__main__":
    sys.exit(main())
