"""The load balancer's limits and timeouts, with every default in one place.

Defaults follow ALB where it has one (60 s idle timeout); tests pass tens
of milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass


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
