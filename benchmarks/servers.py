"""The processes a benchmark starts: nginx backends and the three proxies.

Every proxy gets the same layout: a `blue` set of backends taking all
traffic and a `green` set taking none, and one `switch()` that moves all
traffic to green the way that proxy is meant to be driven at runtime:
bluegreen through `Listener.set_weights`, HAProxy through its runtime API
(`set weight`), nginx by rewriting its config and `nginx -s reload`.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_listening(port: int, timeout: float = 10.0) -> None:
    """Raises when nothing listens in time; the caller stops what it started."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"nothing listens on {port}")


def own_cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process (all its threads), without its children."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its descendants (nginx workers)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0.0
    return own_cpu_seconds(pid) + sum(cpu_seconds(int(child)) for child in children)


class Server:
    """One started process (and its config directory)."""

    name = "server"

    def __init__(self, workdir: Path, cpu: str) -> None:
        self.workdir = workdir
        self.cpu = cpu
        self.port = 0
        self.process: subprocess.Popen[str] | None = None

    def spawn(self, command: list[str], **kwargs: object) -> subprocess.Popen[str]:
        self.process = subprocess.Popen(
            ["taskset", "-c", self.cpu, *command],
            stdout=kwargs.pop("stdout", subprocess.DEVNULL),
            stderr=subprocess.DEVNULL,
            text=True,
            **kwargs,  # type: ignore[call-overload]
        )
        return self.process

    def new_home(self, kind: str) -> Path:
        """A directory of its own: a port, and so a name made from it, can
        come round again within one run."""
        return Path(tempfile.mkdtemp(prefix=f"{kind}-{self.port}-", dir=self.workdir))

    def await_port(self) -> None:
        try:
            wait_listening(self.port)
        except RuntimeError:
            self.stop(signal.SIGKILL)
            raise

    @property
    def cpu_seconds(self) -> float:
        return cpu_seconds(self.process.pid) if self.process else 0.0

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class NginxBackend(Server):
    """A static answer from one nginx process (no master: SIGKILL kills it all)."""

    def start(self, name: str) -> NginxBackend:
        self.port = free_port()
        home = self.new_home("backend")
        (home / "nginx.conf").write_text(
            f"daemon off; master_process off; worker_processes 1; pid {home}/nginx.pid;\n"
            f"error_log {home}/error.log crit;\n"
            "events { worker_connections 4096; }\n"
            "http { access_log off; keepalive_requests 100000000; keepalive_timeout 75s;\n"
            f"  client_body_temp_path {home}; proxy_temp_path {home};\n"
            f"  server {{ listen 127.0.0.1:{self.port} reuseport;\n"
            f'    location / {{ return 200 "{name}\\n"; }} }} }}\n'
        )
        self.spawn(["nginx", "-p", str(home), "-c", str(home / "nginx.conf")])
        self.await_port()
        return self


class Proxy(Server):
    def start(self, blue: list[int], green: list[int]) -> Proxy:
        raise NotImplementedError

    def switch(self) -> None:
        raise NotImplementedError


class BluegreenProxy(Proxy):
    name = "bluegreen"

    def start(self, blue: list[int], green: list[int]) -> Proxy:
        groups = [
            f"--group={name}=" + ",".join(f"127.0.0.1:{port}" for port in ports)
            for name, ports in (("blue", blue), ("green", green))
            if ports
        ]
        weights = "blue=100" + (",green=0" if green else "")
        process = self.spawn(
            [sys.executable, str(ROOT / "benchmarks" / "lb_server.py"), *groups,
             f"--weights={weights}"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        )  # fmt: skip
        assert process.stdout is not None
        self.port = int(process.stdout.readline())
        return self

    def switch(self) -> None:
        assert self.process and self.process.stdin and self.process.stdout
        self.process.stdin.write("weights blue=0,green=100\n")
        self.process.stdin.flush()
        self.process.stdout.readline()

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process and self.process.stdin:
            self.process.stdin.close()
        super().stop(sig)
        if self.process and self.process.stdout:
            self.process.stdout.close()


class HAProxy(Proxy):
    name = "haproxy"

    def start(self, blue: list[int], green: list[int]) -> Proxy:
        self.port = free_port()
        self.socket = self.workdir / f"haproxy-{self.port}.sock"
        servers = [(f"blue{i}", port, 100) for i, port in enumerate(blue)]
        servers += [(f"green{i}", port, 0) for i, port in enumerate(green)]
        self.servers = servers
        config = self.workdir / f"haproxy-{self.port}.cfg"
        config.write_text(
            f"global\n  nbthread 1\n  maxconn 4000\n"
            f"  stats socket {self.socket} mode 600 level admin\n"
            "defaults\n  mode http\n  timeout connect 5s\n  timeout client 60s\n"
            "  timeout server 60s\n  retries 3\n  option redispatch 1\n"
            "  retry-on conn-failure empty-response response-timeout\n"
            "  http-reuse always\n  option forwardfor\n"
            f"frontend fe\n  bind 127.0.0.1:{self.port}\n  default_backend be\n"
            "backend be\n  balance leastconn\n  option httpchk GET /health\n"
            + "".join(
                f"  server {name} 127.0.0.1:{port} check inter 250ms rise 2 fall 2 weight {w}\n"
                for name, port, w in servers
            )
        )
        self.spawn(["haproxy", "-db", "-f", str(config)])
        self.await_port()
        time.sleep(0.6)  # first health checks
        return self

    def switch(self) -> None:
        commands = [f"set weight be/{name} {100 - weight}" for name, _, weight in self.servers]
        with socket.socket(socket.AF_UNIX) as admin:
            admin.connect(str(self.socket))
            admin.sendall(("; ".join(commands) + "\n").encode())
            admin.recv(4096)


class NginxProxy(Proxy):
    name = "nginx"

    def start(self, blue: list[int], green: list[int]) -> Proxy:
        self.port = free_port()
        self.home = self.new_home("proxy")
        self.blue, self.green = blue, green
        self._write(blue)
        self.spawn(["nginx", "-p", str(self.home), "-c", str(self.home / "nginx.conf")])
        self.await_port()
        return self

    def _write(self, ports: list[int]) -> None:
        home = self.home
        servers = "".join(f"server 127.0.0.1:{port};" for port in ports)
        (home / "nginx.conf").write_text(
            f"daemon off; worker_processes 1; pid {home}/nginx.pid;\n"
            f"error_log {home}/error.log crit;\n"
            "events { worker_connections 8192; }\n"
            "http { access_log off; keepalive_requests 100000000;\n"
            f"  client_body_temp_path {home}; proxy_temp_path {home};\n"
            f"  upstream app {{ least_conn; {servers} keepalive 128; }}\n"
            f"  server {{ listen 127.0.0.1:{self.port};\n"
            "    location / { proxy_pass http://app; proxy_http_version 1.1;\n"
            '      proxy_set_header Connection ""; proxy_set_header Host $host;\n'
            "      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; } } }\n"
        )

    def switch(self) -> None:
        self._write(self.green)
        subprocess.run(
            ["nginx", "-p", str(self.home), "-c", str(self.home / "nginx.conf"), "-s", "reload"],
            check=True, capture_output=True,
        )  # fmt: skip
