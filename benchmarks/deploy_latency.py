"""Latency and throughput through the production listener while a deployment runs.

The real daemon (`bluegreen up`) serves two nginx tasks; wrk -c64 loads the
production listener for the same time once with nothing happening (steady)
and once while a linear deployment (20 % every second) moves traffic to a
new revision. The figure that matters is the ratio within one pair (a
deployment's p99 over the steady p99, its throughput over the steady
throughput): the machine is shared, so absolute numbers swing between runs.
Pairs alternate their order; the report gives each pair and the medians.

    python benchmarks/deploy_latency.py [--pairs 3] [--seconds 12] [--write]

It prints BENCHMARKS.md's "Latency during a deployment" section, and
writes it there with --write.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from sections import publish
from servers import free_port, own_cpu_seconds
from wrk import WrkResult, run_wrk

CLIENT_CPU = "1"
TASK = """\
#!/bin/sh
home=$(mktemp -d)
cat > "$home/nginx.conf" <<EOF
daemon off; master_process off; worker_processes 1; pid $home/nginx.pid;
error_log $home/error.log crit;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 100000000; keepalive_timeout 75s;
  client_body_temp_path $home; proxy_temp_path $home;
  server { listen 127.0.0.1:$PORT reuseport; location / { return 200 "$APP_VERSION\\n"; } } }
EOF
exec nginx -p "$home" -c "$home/nginx.conf"
"""
CONFIG = """\
[service]
name = "bench"
desired_count = 2
container = "web"
container_port = 8000

[health_check]
path = "/"
interval = "500ms"
timeout = "250ms"
healthy_threshold = 2

[deployment]
config = {{ type = "linear", percent = 20, interval = "1s" }}
termination_wait = "1s"
install_timeout = "30s"

[validation]
consecutive_successes = 2
interval = "100ms"

[local]
command = "sh {task}"
prod_port = {prod_port}
test_port = {test_port}
deregistration_delay = "1s"
"""
TASKDEF = {
    "family": "bench",
    "containerDefinitions": [
        {
            "name": "web",
            "image": "local/bench:dev",
            "essential": True,
            "portMappings": [{"containerPort": 8000}],
            "environment": [{"name": "APP_VERSION", "value": "${APP_VERSION:-v1}"}],
        }
    ],
}


class Daemon:
    """A project in a temporary directory and its daemon, driven through the CLI."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.prod_port = free_port()
        self.versions = 0
        (root / "task.sh").write_text(TASK)
        (root / "taskdef.json").write_text(json.dumps(TASKDEF))
        self.cli("init")  # the appspec.yaml for this taskdef.json, as a user gets it
        config = CONFIG.format(
            task=root / "task.sh", prod_port=self.prod_port, test_port=free_port()
        )
        (root / "bluegreen.toml").write_text(config)

    def cli(self, command: str, *args: str) -> str:
        argv = [sys.executable, "-m", "bluegreen.cli", command, str(self.root), *args]
        done = subprocess.run(argv, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(
                f"bluegreen {command} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
            )
        return done.stdout

    def deploy(self) -> None:
        """A new revision, followed to its end (the CLI exits once it succeeded)."""
        self.versions += 1
        self.cli("deploy", "--set", f"APP_VERSION=v{self.versions}")

    @property
    def pid(self) -> int:
        return int(json.loads((self.root / ".bluegreen" / "daemon.json").read_text())["pid"])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.prod_port}/"


@dataclass(frozen=True)
class Sample:
    result: WrkResult
    cpu: float  # the daemon's own CPU seconds during the load (its tasks come and go)
    took: float  # how long the deployment took (0: none)

    @property
    def cpu_per_request(self) -> float:
        return self.cpu / max(self.result.requests, 1)


def measure(daemon: Daemon, seconds: float, deploying: bool) -> Sample:
    """wrk for `seconds`; with `deploying`, a deployment starts a second in."""
    took = [0.0]

    def deploy() -> None:
        started = time.monotonic()
        daemon.deploy()
        took[0] = time.monotonic() - started

    timer = threading.Timer(1.0, deploy) if deploying else None
    before = own_cpu_seconds(daemon.pid)
    if timer:
        timer.start()
    result = run_wrk(daemon.url, connections=64, seconds=seconds, cpu=CLIENT_CPU)
    cpu = own_cpu_seconds(daemon.pid) - before
    if timer:
        timer.join()
    if deploying and took[0] + 1.0 > seconds:
        print(f"  note: the deployment ({took[0]:.1f} s) outlasted the load", flush=True)
    return Sample(result, cpu, took[0])


def render(pairs: list[tuple[Sample, Sample]], args: argparse.Namespace) -> str:
    lines = [
        "## Latency during a deployment",
        "",
        f"`python benchmarks/deploy_latency.py --pairs {args.pairs} --seconds {args.seconds:g}`"
        f" ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}): wrk -c64 through the"
        " production listener of the real daemon, two nginx tasks, linear 20 %/1 s."
        " Each cell: steady / deploying.",
        "",
        "| pair | p99 | p99 ratio | req/s | throughput ratio"
        " | daemon CPU per 1k requests | failed | deploy took |",
        "|---|---|---|---|---|---|---|---|",
    ]
    p99_ratios, rps_ratios = [], []
    for number, (steady, deploying) in enumerate(pairs, start=1):
        calm, busy = steady.result, deploying.result
        p99_ratios.append(busy.p99 / calm.p99)
        rps_ratios.append(busy.rps / calm.rps)
        lines.append(
            f"| {number} | {calm.p99 * 1e3:.2f} / {busy.p99 * 1e3:.2f} ms"
            f" | {p99_ratios[-1]:.2f}x | {calm.rps:.0f} / {busy.rps:.0f}"
            f" | {rps_ratios[-1]:.2f}x"
            f" | {steady.cpu_per_request * 1e6:.0f} / {deploying.cpu_per_request * 1e6:.0f} ms"
            f" | {calm.failed} / {busy.failed} | {deploying.took:.1f} s |"
        )
    lines += [
        "",
        f"Median p99 ratio {statistics.median(p99_ratios):.2f}x, median throughput ratio"
        f" {statistics.median(rps_ratios):.2f}x (goal: p99 within 1.2x, throughput within 5 %).",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=12.0)
    parser.add_argument("--write", action="store_true", help="put the result into BENCHMARKS.md")
    args = parser.parse_args()
    pairs = []
    with tempfile.TemporaryDirectory(prefix="bluegreen-deploy-bench-") as tmp:
        daemon = Daemon(Path(tmp))
        daemon.cli("up")
        try:
            daemon.deploy()  # the first revision: blue
            run_wrk(daemon.url, connections=64, seconds=2, cpu=CLIENT_CPU)  # warm the pools
            for pair in range(args.pairs):
                print(f"pair {pair + 1} of {args.pairs} ...", flush=True)
                order = (False, True) if pair % 2 == 0 else (True, False)
                runs = {deploying: measure(daemon, args.seconds, deploying) for deploying in order}
                pairs.append((runs[False], runs[True]))
        finally:
            daemon.cli("down")
    publish(render(pairs, args), args.write)


if __name__ == "__main__":
    main()
