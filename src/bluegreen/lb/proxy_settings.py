"""The load balancer's limits and timeouts, with every default in one place.

Defaults follow ALB where it has one (60 s idle timeout); tests pass tens
of milliseconds.

The connection limit is the one default read from the machine: past the
process's open-file limit (RLIMIT_NOFILE) a new client is not even
accepted, and the health checks and the admin API fail with it. Below it,
a client past the limit is answered 503 with Retry-After instead.
"""

from __future__ import annotations

import resource
from dataclasses import dataclass, replace

# What the default connection limit leaves of the open-file limit to the
# rest of the process: the admin API and its clients, health checks,
# SQLite, task logs and pipes.
RESERVED_FILES = 128
FILES_PER_CONNECTION = 2  # the client's socket and its target's
LISTENERS = 2  # the local platform's production and test listeners


@dataclass(frozen=True)
class ProxySettings:
    request_timeout: float = 60.0  # target's time to start answering → 504
    connect_timeout: float = 5.0  # to open a connection to a target → next target, else 502
    header_timeout: float = 10.0  # client's time to send a whole request head → 408
    body_timeout: float = 60.0  # longest pause inside a request body → 408
    idle_timeout: float = 60.0  # keep-alive client connection with no request
    upstream_idle_timeout: float = 1.0  # pooled connection unused this long is closed
    max_body: int | None = None  # request body bytes → 413
    max_header_bytes: int = 65536  # a request head → 400
    max_headers: int = 100  # → 400, for heads the proxy rebuilds (others pass through whole)
    retry_buffer: int = 65536  # a request is replayable while it fits here
    max_attempts: int = 3
    pause_above: int = 262144  # bytes buffered for a target before reading from the client pauses
    # Connections the kernel completes while the loop is busy, before it
    # accepts them (asyncio's default is 100; Linux caps it at
    # net.core.somaxconn, 4096 by default since 5.4). A connection past
    # it is dropped, and its client's SYN retransmitted a second later.
    backlog: int = 4096
    allow_connect: bool = False  # forward CONNECT (a tunnel once the target answers 2xx) → else 405
    # Client connections per listener; past it → 503. None: all the open-file
    # limit allows (`with_connection_limit`, when the load balancer starts).
    max_connections: int | None = None

    @property
    def tick(self) -> float:
        """How often deadlines are checked: often enough for the shortest one."""
        shortest = min(
            self.request_timeout,
            self.connect_timeout,
            self.header_timeout,
            self.body_timeout,
            self.idle_timeout,
            self.upstream_idle_timeout,
        )
        return min(max(shortest / 4, 0.005), 1.0)


def open_file_limit() -> int:
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return 1 << 20 if soft == resource.RLIM_INFINITY else soft


def connection_capacity(open_files: int) -> int:
    """The most client connections each listener may hold while every
    listener is full and `RESERVED_FILES` are left."""
    return max(1, (open_files - RESERVED_FILES) // (FILES_PER_CONNECTION * LISTENERS))


def with_connection_limit(settings: ProxySettings) -> ProxySettings:
    """`settings` with `max_connections` decided from this process's open-file
    limit: all it allows when unset; a ValueError naming it when set above."""
    open_files = open_file_limit()
    capacity = connection_capacity(open_files)
    wanted = settings.max_connections
    if wanted is None:
        return replace(settings, max_connections=capacity)
    if wanted > capacity:
        raise ValueError(
            f"max_connections {wanted} is above what the open-file limit allows: "
            f"RLIMIT_NOFILE is {open_files}, which leaves room for {capacity} per listener "
            "(raise it with `ulimit -n`, or lower max_connections)"
        )
    return settings
