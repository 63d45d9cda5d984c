"""BENCHMARKS.md from one benchmark run: medians, paired ratios, targets."""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import re
import statistics
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from wrk import WrkResult

NOTES = Path(__file__).with_name("lb_notes.md")  # hand-written; appended to every report


@dataclass
class Sample:
    result: WrkResult
    cpu: float  # proxy CPU seconds during the run
    listen_overflows: int = 0  # connections the kernel dropped for a full accept queue

    @property
    def cpu_per_request(self) -> float:
        return self.cpu / max(self.result.requests, 1)


@dataclass
class Run:
    names: list[str]
    started_at: str
    args: argparse.Namespace
    throughput: dict[str, list[Sample]]
    latency: dict[str, list[Sample]]
    burst: dict[str, list[Sample]]  # wrk -c1000
    events: dict[str, dict[str, WrkResult]]
    hot_path: str  # lb_hot_path.py's answer


def paired(
    samples: dict[str, list[Sample]], a: str, b: str, f: Callable[[Sample, Sample], float]
) -> float:
    """Median over pairs of f(run of a, run of b in the same pair)."""
    return statistics.median(f(x, y) for x, y in zip(samples[a], samples[b], strict=True))


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


def render(run: Run) -> str:
    command = "python benchmarks/lb.py " + " ".join(sys.argv[1:])
    lines = [
        "## Load balancer",
        "",
        f"Run {run.started_at} on {os.cpu_count()} cores ({cpu_model()}), a machine shared",
        "with other engineers' test runs, so absolute numbers are noisy; every comparison",
        "below is a ratio within a pair of back-to-back runs, and the median over pairs.",
        "",
        f"Command: `make bench` (= `{command.strip()}`). Backend: one nginx process",
        "answering a fixed 200, pinned with the proxy to CPU 0; `wrk -t1` on CPU 1.",
        f"Versions: {versions()}.",
        "",
        *throughput_table(run),
        "",
        *burst_table(run),
        "",
        *targets_table(run),
        "",
        *events_table(run),
        "",
        f"In-process, without sockets (`benchmarks/lb_hot_path.py`): {run.hot_path}.",
        "",
        NOTES.read_text().strip(),
    ]
    return "\n".join(lines) + "\n"


def versions() -> str:
    found = [f"Python {platform.python_version()}"]
    for package in ("uvloop", "httptools"):
        with contextlib.suppress(PackageNotFoundError):
            found.append(f"{package} {version(package)}")
    for command in (["haproxy", "-v"], ["nginx", "-v"], ["wrk", "--version"]):
        with contextlib.suppress(OSError):
            done = subprocess.run(command, capture_output=True, text=True)
            number = re.search(r"\d+\.\d+(\.\d+)?", done.stdout + done.stderr)
            if number:
                found.append(f"{command[0]} {number.group(0)}")
    return ", ".join(found)


def table_head(title: str, columns: list[str]) -> list[str]:
    """A section's title and its table's head: one row per server, figures
    in the columns (right-aligned)."""
    return [
        f"### {title}",
        "",
        "| | " + " | ".join(columns) + " |",
        "|---|" + "---:|" * len(columns),
    ]


def throughput_table(run: Run) -> list[str]:
    t, a = run.throughput, run.args
    rows = table_head(
        f"Throughput, CPU (wrk -c64, {a.pairs} pairs × {a.seconds:g} s), latency (wrk -c1)",
        [
            "req/s (median)",
            "× HAProxy",
            "CPU µs/request",
            "CPU × HAProxy",
            "p50 at c1",
            "added p50",
        ],
    )
    for name in ["direct", *run.names]:
        rps = statistics.median(s.result.rps for s in t[name])
        p50 = statistics.median(s.result.p50 for s in run.latency[name])
        cells = [f"{rps:,.0f}", "", "", "", f"{p50 * 1e3:.3f} ms", ""]
        if name != "direct":
            cells[2] = f"{statistics.median(s.cpu_per_request for s in t[name]) * 1e6:.1f}"
            cells[5] = f"{added(run, name) * 1e3:+.3f} ms"
            if "haproxy" in t:
                cells[1] = (
                    f"{paired(t, name, 'haproxy', lambda x, y: x.result.rps / y.result.rps):.2f}"
                )
                cells[3] = f"{cpu_ratio(run, name):.2f}"
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    return rows


def added(run: Run, name: str) -> float:
    return paired(run.latency, name, "direct", lambda x, y: x.result.p50 - y.result.p50)


def cpu_ratio(run: Run, name: str) -> float:
    return paired(
        run.throughput, name, "haproxy", lambda x, y: x.cpu_per_request / y.cpu_per_request
    )


def burst_table(run: Run) -> list[str]:
    b, a = run.burst, run.args
    rows = table_head(
        f"A thousand clients at once (wrk -c1000, {a.pairs} pairs × {a.seconds:g} s)",
        ["req/s (median)", "p99 (median)", "p99 × HAProxy", "listen overflows (sum)"],
    )
    for name in ["direct", *run.names]:
        rps = statistics.median(s.result.rps for s in b[name])
        p99 = statistics.median(s.result.p99 for s in b[name])
        ratio = ""
        if name != "direct" and "haproxy" in b:
            ratio = f"{paired(b, name, 'haproxy', lambda x, y: x.result.p99 / y.result.p99):.2f}"
        overflows = sum(s.listen_overflows for s in b[name])
        rows.append(f"| {name} | {rps:,.0f} | {p99 * 1e3:.0f} ms | {ratio} | {overflows} |")
    return rows


def targets_table(run: Run) -> list[str]:
    rows = ["### Targets (issue 8)", "", "| target | measured | met |", "|---|---:|:-:|"]
    t = run.throughput
    checks: list[tuple[str, float | None, Callable[[float], bool], str]] = [
        ("added p50 latency at one connection ≤ 0.2 ms", added(run, "bluegreen") * 1e3,
         lambda v: v <= 0.2, "{:.3f} ms"),
    ]  # fmt: skip
    if "haproxy" in t:
        rps = paired(t, "bluegreen", "haproxy", lambda x, y: x.result.rps / y.result.rps)
        checks.insert(0, ("throughput ≥ 0.9× HAProxy's", rps, lambda v: v >= 0.9, "{:.2f}×"))
        checks.insert(1, ("CPU per request ≤ 1.3× HAProxy's", cpu_ratio(run, "bluegreen"),
                          lambda v: v <= 1.3, "{:.2f}×"))  # fmt: skip
    events = run.events["bluegreen"]
    checks.append(("switch under load, then old backend stopped: 0 failed",
                   events["switch"].failed, lambda v: v == 0, "{:.0f}"))  # fmt: skip
    checks.append(("target SIGKILLed in rotation: 0 failed GETs",
                   events["sigkill"].failed, lambda v: v == 0, "{:.0f}"))  # fmt: skip
    for label, value, ok, fmt in checks:
        assert value is not None
        rows.append(f"| {label} | {fmt.format(value)} | {'yes' if ok(value) else 'no'} |")
    return rows


def events_table(run: Run) -> list[str]:
    how = {
        "bluegreen": "`Listener.set_weights`",
        "haproxy": "runtime API `set weight`",
        "nginx": "config rewrite + `nginx -s reload`",
    }
    rows = [
        f"### Under load (wrk -c64, {run.args.scenario_seconds:g} s): switch, and SIGKILL",
        "",
        "Switch: all traffic from backend a to b a quarter of the way in, a stopped 1 s later.",
        "SIGKILL: a and b both in rotation, a killed a quarter of the way in.",
        "",
        "| proxy | switch by | requests | non-2xx | socket errors "
        "| SIGKILL: requests | non-2xx | socket errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name in run.names:
        s, k = run.events[name]["switch"], run.events[name]["sigkill"]
        rows.append(
            f"| {name} | {how[name]} | {s.requests:,} | {s.non_2xx} | {s.socket_errors} "
            f"| {k.requests:,} | {k.non_2xx} | {k.socket_errors} |"
        )
    return rows
