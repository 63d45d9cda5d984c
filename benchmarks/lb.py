"""The load balancer benchmark: the same nginx backend direct, through
bluegreen, through HAProxy and through nginx, with wrk, in one run.

Single runs on a small shared machine swing by a quarter or more, so every
figure is the median of paired runs taken in alternating order, and every
comparison is a ratio within a pair. Backend and proxy share CPU 0; wrk
runs on CPU 1. The results and the command are printed as BENCHMARKS.md's
"Load balancer" section, and written there with --write.

    python benchmarks/lb.py [--pairs 5] [--seconds 5] [--write]
"""

from __future__ import annotations

import argparse
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TypeVar

from report import Run, Sample, render
from sections import publish
from servers import BluegreenProxy, HAProxy, NginxBackend, NginxProxy, Proxy, Server
from wrk import WrkResult, run_wrk

SERVER_CPU, CLIENT_CPU = "0", "1"
BURST = 1000  # clients connecting at once: more than asyncio's default backlog of 100
S = TypeVar("S", bound=Server)
PROXIES: dict[str, type[Proxy]] = {
    "bluegreen": BluegreenProxy,
    "haproxy": HAProxy,
    "nginx": NginxProxy,
}
BINARIES = {"haproxy": "haproxy", "nginx": "nginx"}


def available_proxies() -> list[str]:
    return [name for name in PROXIES if name not in BINARIES or shutil.which(BINARIES[name])]


@contextmanager
def servers() -> Iterator[Callable[[S], S]]:
    """Every server passed to the yielded function is stopped on the way out."""
    with ExitStack() as stack:

        def keep(server: S) -> S:
            stack.callback(server.stop)
            return server

        yield keep


def measure(url: str, proxy: Server | None, connections: int, seconds: float) -> Sample:
    before, refused_before = (proxy.cpu_seconds if proxy else 0.0), listen_overflows()
    result = run_wrk(url, connections=connections, seconds=seconds, cpu=CLIENT_CPU)
    cpu = (proxy.cpu_seconds - before) if proxy else 0.0
    return Sample(result, cpu, listen_overflows() - refused_before)


def listen_overflows() -> int:
    """The kernel's count of connections dropped because an accept queue was
    full (each costs its client a SYN retransmit, a second or more). It counts
    every socket on the machine, so another engineer's run can add to it."""
    lines = [line.split() for line in Path("/proc/net/netstat").read_text().splitlines()]
    for names, values in zip(lines[::2], lines[1::2], strict=True):
        if names[0] == "TcpExt:":
            return int(values[names.index("ListenOverflows")])
    return 0


def paired_runs(
    workdir: Path, names: list[str], pairs: int, connections: int, seconds: float
) -> dict[str, list[Sample]]:
    """Each pair runs direct and every proxy once, in an order rotated per pair."""
    samples: dict[str, list[Sample]] = {"direct": [], **{name: [] for name in names}}
    order = ["direct", *names]
    with servers() as keep:
        backend = keep(NginxBackend(workdir, SERVER_CPU)).start("direct")
        proxies = {
            n: keep(PROXIES[n](workdir, SERVER_CPU)).start([backend.port], []) for n in names
        }
        for proxy in proxies.values():  # warm pools and caches
            measure(f"http://127.0.0.1:{proxy.port}/", proxy, connections, 1)
        for pair in range(pairs):
            rotated = order[pair % len(order) :] + order[: pair % len(order)]
            for name in rotated if pair % 2 == 0 else reversed(rotated):
                proxy = proxies.get(name)
                port = proxy.port if proxy else backend.port
                samples[name].append(
                    measure(f"http://127.0.0.1:{port}/", proxy, connections, seconds)
                )
    return samples


def under_load(
    workdir: Path,
    name: str,
    layout: str,
    seconds: float,
    event: Callable[[Proxy, list[Server]], None],
) -> WrkResult:
    """wrk -c64 for `seconds` while `event` happens a quarter of the way in."""
    with servers() as keep:
        backends: list[Server] = [keep(NginxBackend(workdir, SERVER_CPU)).start(n) for n in "ab"]
        ports = [b.port for b in backends]
        blue, green = (ports, []) if layout == "rotation" else (ports[:1], ports[1:])
        proxy = keep(PROXIES[name](workdir, SERVER_CPU)).start(blue, green)
        timer = threading.Timer(seconds / 4, event, (proxy, backends))
        timer.start()
        result = run_wrk(
            f"http://127.0.0.1:{proxy.port}/", connections=64, seconds=seconds, cpu=CLIENT_CPU
        )
        timer.join()
    return result


def switch_then_stop_blue(proxy: Proxy, backends: list[Server]) -> None:
    proxy.switch()
    time.sleep(1.0)
    backends[0].stop(signal.SIGTERM)


def kill_one(proxy: Proxy, backends: list[Server]) -> None:
    backends[0].stop(signal.SIGKILL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--proxies", default=",".join(PROXIES), help="which proxies to compare")
    parser.add_argument("--scenario-seconds", type=float, default=8.0)
    parser.add_argument("--write", action="store_true", help="put the result into BENCHMARKS.md")
    args = parser.parse_args()
    names = [name for name in available_proxies() if name in args.proxies.split(",")]
    started_at = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    with tempfile.TemporaryDirectory(prefix="bluegreen-bench-") as tmp:
        workdir = Path(tmp)
        print(f"throughput: wrk -c64, {args.pairs} pairs of {args.seconds:g} s ...", flush=True)
        throughput = paired_runs(workdir, names, args.pairs, 64, args.seconds)
        print("latency: wrk -c1 ...", flush=True)
        latency = paired_runs(workdir, names, args.pairs, 1, max(args.seconds / 2, 1))
        print(f"burst: wrk -c{BURST} ...", flush=True)
        burst = paired_runs(workdir, names, args.pairs, BURST, args.seconds)
        events: dict[str, dict[str, WrkResult]] = {}
        for name in names:
            print(f"switch and SIGKILL scenarios: {name} ...", flush=True)
            events[name] = {
                "switch": under_load(
                    workdir, name, "switch", args.scenario_seconds, switch_then_stop_blue
                ),
                "sigkill": under_load(workdir, name, "rotation", args.scenario_seconds, kill_one),
            }
    hot_path = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("lb_hot_path.py"))],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    publish(
        render(Run(names, started_at, args, throughput, latency, burst, events, hot_path)),
        args.write,
    )


if __name__ == "__main__":
    main()
