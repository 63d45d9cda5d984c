"""`make bench`: every benchmark the project has, when its tools are installed.

Each prints its section of BENCHMARKS.md; `make bench BENCH_ARGS=--write`
writes them into the file, which is never rewritten unless asked. The load
balancer benchmark needs wrk and nginx (the backend), and HAProxy for the
comparison it is judged by; the deployment benchmark (`deploy_latency.py`:
the real daemon over nginx tasks) needs wrk and nginx. Without them they
say what is missing and how to install it: benchmarks are not tests.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
NEEDED = {"wrk": "wrk", "nginx": "nginx-light", "taskset": "util-linux"}
COMPARED = ("haproxy",)
INSTALL = "make bench-tools (apt-get install haproxy wrk nginx-light)"


NEEDS_TOOLS = ("lb.py", "deploy_latency.py")
EVERY_TOOL_FREE = ("snapshot.py", "crashes.py")


def main() -> int:
    write = ["--write"] if "--write" in sys.argv[1:] else []
    failed = 0
    for script in EVERY_TOOL_FREE:
        failed |= subprocess.call([sys.executable, str(HERE / script), *write])
    missing = [package for tool, package in NEEDED.items() if not shutil.which(tool)]
    if missing:
        print(
            f"{', '.join(NEEDS_TOOLS)} skipped: {', '.join(missing)} not installed; run `{INSTALL}`"
        )
        return failed
    for tool in COMPARED:
        if not shutil.which(tool):
            print(f"{tool} not installed: no comparison with it ({INSTALL})")
    for script in NEEDS_TOOLS:
        failed |= subprocess.call([sys.executable, str(HERE / script), *write])
    return failed


if __name__ == "__main__":
    sys.exit(main())
