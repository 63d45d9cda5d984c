"""`make bench`: every benchmark the project has, when its tools are installed.

The load balancer benchmark needs wrk and nginx (the backend), and HAProxy
for the comparison it is judged by; the deployment benchmark
(`deploy_latency.py`: the real daemon over nginx tasks) needs wrk and nginx.
Without them it says what is missing and how to install it, and exits 0:
benchmarks are not tests.
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


def main() -> int:
    missing = [package for tool, package in NEEDED.items() if not shutil.which(tool)]
    if missing:
        print(f"benchmarks skipped: {', '.join(missing)} not installed; run `{INSTALL}`")
        return 0
    for tool in COMPARED:
        if not shutil.which(tool):
            print(f"{tool} not installed: no comparison with it ({INSTALL})")
    failed = subprocess.call([sys.executable, str(HERE / "lb.py"), *sys.argv[1:]])
    return failed or subprocess.call([sys.executable, str(HERE / "deploy_latency.py")])


if __name__ == "__main__":
    sys.exit(main())
