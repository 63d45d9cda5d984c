"""One request and its response, from choosing a target to the last byte.

The exchange is where zero-downtime is won or lost. It keeps a copy of
what it sent (up to `retry_buffer` bytes) until the first response byte,
so a request can be replayed on another target when its connection turns
out dead: always when nothing reached the target (refused connect, a pooled
connection found closed), and for idempotent methods also when the target
died before answering, as nginx does. Only when that fails does the
client see a 502.
"""

from __future__ import annotations

import asyncio
from enum import Enum
from time import monotonic
from typing import TYPE_CHECKING

from .http_heads import (
    CRLF,
    HOP_BY_HOP,
    IDEMPOTENT,
    LAST_CHUNK,
    Framing,
    chunk,
    copy_headers,
    error_response,
    read_response_head,
    response_passes,
    scan_headers,
)
from .metrics import APP, PROXY
from .target import OPEN_STATES
from .upstream import UpstreamConnection, connect

if TYPE_CHECKING:
    from .proxy import ClientConnection
    from .target import Target
    from .target_group import TargetGroup

NO_BODY_STATUSES = (204, 304)


class ResponsePhase(Enum):
    """Where the answer to one request is. Every exchange goes from WAITING
    to FINISHED; the request side (`request_done`) moves independently."""

    WAITING = "waiting"  # no final response head yet
    INFORMATIONAL = "informational"  # a 1xx head was passed on; the final one is still due
    STREAMING = "streaming"  # the final head is out; the body ends as its framing says
    UNTIL_CLOSE = "until close"  # the final head is out; the body ends when the target closes
    SWITCHED = "switched"  # 101 (or a 2xx to CONNECT): the connection becomes a tunnel
    FINISHED = "finished"  # counted, target freed; a tunnel may still be open


# The members under module names, as proxy.py does for ReadPhase: on Python
# 3.11 each `ResponsePhase.X` is a lookup costing ~70 ns.
WAITING, INFORMATIONAL, STREAMING, UNTIL_CLOSE, SWITCHED, FINISHED = ResponsePhase


class Exchange:
    # One line per section of __init__: what the client asked for, the request
    # on its way, where it goes, the response, the metrics.
    __slots__ = (
        *("client", "method", "chunked", "upgrade", "http10", "keep_alive", "plain"),
        *("pending", "pending_size", "retained", "retained_size", "request_done"),
        *("group", "target", "tried", "connecting", "upstream", "sent_at"),
        *("phase", "status", "rechunk"),
        *("started", "bytes_in", "bytes_out"),
    )

    def __init__(
        self,
        client: ClientConnection,
        method: bytes,
        head: bytes,
        *,
        chunked: bool = False,
        upgrade: bool = False,
        keep_alive: bool = True,
        http10: bool = False,
    ) -> None:
        # What the client asked for. An upgrade (or CONNECT) the target
        # refuses leaves an ordinary HTTP connection: kept alive if the client
        # asked for that, with what it sent after the head read as its next request.
        self.client = client
        self.method = method
        self.chunked = chunked
        self.upgrade = upgrade
        self.http10 = http10
        self.keep_alive = keep_alive
        # Whether a response head may go to the client as the target sent it.
        self.plain = keep_alive and not http10 and not upgrade and method != b"HEAD"

        # The request on its way: not yet written to a target, and everything
        # sent (kept for a replay): one list until the first write, see `_send`.
        self.pending: list[bytes] | None = [head]
        self.retained: list[bytes] | None = self.pending
        self.pending_size = self.retained_size = len(head)
        self.request_done = False

        # Where it goes: the group chosen once, then one target per attempt.
        self.group: TargetGroup | None = None
        self.target: Target | None = None
        self.tried: list[Target] = []
        self.connecting: asyncio.Task[None] | None = None
        self.upstream: UpstreamConnection | None = None
        self.sent_at = 0.0

        # The response. `rechunk`: the body goes to the client chunked, whatever
        # framing the target used (it had none, or chunks llhttp took apart).
        self.phase = WAITING
        self.status = 0
        self.rechunk = False

        # For the metrics.
        self.started = monotonic()  # not loop.time(): uvloop's has millisecond resolution
        self.bytes_in = self.bytes_out = 0

    @property
    def answer_pending(self) -> bool:
        """No final response head has reached the client yet."""
        return self.phase is WAITING or self.phase is INFORMATIONAL

    # Request side

    def send_body(self, data: bytes) -> None:
        self.bytes_in += len(data)
        self._send(chunk(data) if self.chunked else data)

    def send_last_chunk(self) -> None:
        self._send(LAST_CHUNK)

    def _send(self, data: bytes) -> None:
        retained = self.retained
        if retained is not None:
            if retained is not self.pending:  # else appended below, once for both
                retained.append(data)
            self.retained_size += len(data)
            if self.retained_size > self.client.settings.retry_buffer:
                self.retained = None
        if self.upstream is not None:
            self.upstream.write(data)
        elif self.pending is not None:
            self.pending.append(data)
            self.pending_size += len(data)
            self.client.update_buffer_pause()

    # Choosing a target

    def dispatch(self) -> None:
        group = self.group
        if group is None:
            group = self.group = self.client.listener.choose_group()
            if group is None:
                return self.fail(503)
        tried = self.tried
        target = group.choose(tried)
        if target is None:
            return self.fail(502 if tried else 503)
        self.target = target
        target.in_flight += 1
        tried.append(target)
        idle = target.idle
        while idle:
            connection = idle.pop()  # the warmest first; a closed one is dropped
            if connection.reusable:
                return self.attach(connection)
        # The task is kept: the loop holds only weak references to tasks.
        self.connecting = asyncio.get_running_loop().create_task(self._connect(target))

    async def _connect(self, target: Target) -> None:
        try:
            client = self.client
            connection = await connect(target, client.settings.connect_timeout, client.writes)
        except (OSError, TimeoutError):
            assert self.group is not None
            self.group.connect_failed(target)
            if self.phase is not FINISHED:
                self._leave_target()
                self._retry_or_fail(replayable=True)
            return
        if self.phase is FINISHED:
            connection.close()
        else:
            self.attach(connection)

    def attach(self, connection: UpstreamConnection) -> None:
        transport = connection.transport
        assert transport is not None
        self.upstream = connection
        connection.exchange = self
        connection.reusable = False
        pending, self.pending = self.pending, None
        assert pending is not None
        client = self.client
        client.writes.write(transport, pending[0] if len(pending) == 1 else b"".join(pending))
        self.sent_at = client.now
        flow = client.flow
        if flow.paused:
            client.update_buffer_pause()
        if flow.writing_paused:
            connection.pause_reading(True)

    def _leave_target(self) -> None:
        if self.target is not None:
            self.target.request_finished()
            self.target = None

    def _retry_or_fail(self, *, replayable: bool) -> None:
        settings = self.client.settings
        if (
            self.retained is not None
            and (replayable or self.method in IDEMPOTENT)
            and len(self.tried) < settings.max_attempts
            and not self.upgrade
        ):
            self.pending = list(self.retained)
            self.pending_size = self.retained_size
            self.dispatch()
        else:
            self.fail(502)

    # Response side

    def response_head(
        self, connection: UpstreamConnection, status: int, received: bytes | None
    ) -> None:
        """`received`: the head as the target sent it (None if it could not be kept)."""
        if status < 200 and received is not None:
            if status != 101:
                self.phase = INFORMATIONAL  # 100 Continue and friends: pass on, keep waiting
                if not self.http10:
                    self.client.out.append(received)
                return
            if not self.upgrade:
                received = None  # a switch nobody asked for
        if received is None:  # the target's fault: treated as a target that died
            connection.exchange = None
            connection.close()
            self.upstream_lost(connection)
            return
        self.status = status
        self.retained = None
        if (
            self.plain
            and connection.parser.should_keep_alive()  # a length, and no Connection: close
            and response_passes(received)
        ):
            self.phase = STREAMING
            self.client.out.append(received)
            return
        self._rebuilt_head(connection, status, received)

    def _rebuilt_head(self, connection: UpstreamConnection, status: int, received: bytes) -> None:
        """A head that can't go as it came: hop-by-hop headers, a framing the
        client needs changed, an upgrade's answer, a HEAD's."""
        reason, headers = read_response_head(received)
        self.client.out.append(self._rebuilt(reason, headers, scan_headers(headers, HOP_BY_HOP)))
        if self.phase is SWITCHED:
            if status != 101:  # a CONNECT's 2xx: llhttp reads what follows as a body
                self.upgraded(connection, b"")
        elif self.method == b"HEAD":
            connection.fresh_parser()
            self.response_complete(connection)

    def _rebuilt(
        self, reason: bytes, headers: list[tuple[bytes, bytes]], framing: Framing
    ) -> bytes:
        """The head for the client, and the phase it starts: how its body ends."""
        status = self.status
        out = [b"HTTP/1.1 %d %s\r\n" % (status, reason)]
        copy_headers(headers, out, framing, HOP_BY_HOP)
        phase = STREAMING
        if self.upgrade and (status == 101 or (self.method == b"CONNECT" and status < 300)):
            phase = SWITCHED
            if status == 101:
                out.append(b"Connection: upgrade\r\nUpgrade: " + (framing.upgrade or b"") + CRLF)
        elif self.method == b"HEAD" or status in NO_BODY_STATUSES:
            if framing.content_length is not None:
                out.append(b"Content-Length: %d\r\n" % framing.content_length)
        elif framing.content_length is not None and not framing.chunked:
            out.append(b"Content-Length: %d\r\n" % framing.content_length)
        else:
            if not framing.chunked:
                phase = UNTIL_CLOSE
            if self.http10:
                self.keep_alive = False
            else:
                self.rechunk = True
                out.append(b"Transfer-Encoding: chunked\r\n")
        if not self.keep_alive and phase is not SWITCHED:
            out.append(b"Connection: close\r\n")
        elif self.http10:
            out.append(b"Connection: keep-alive\r\n")
        out.append(CRLF)
        self.phase = phase
        return b"".join(out)

    def response_complete(self, connection: UpstreamConnection) -> None:
        phase = self.phase
        if phase is not STREAMING and phase is not UNTIL_CLOSE:
            if phase is INFORMATIONAL:
                self.phase = WAITING  # the final head is still to come
            return  # SWITCHED: `upgraded` comes next; FINISHED: nothing left to do
        if self.rechunk:
            self.client.out.append(LAST_CHUNK)
        # Never pooled after an upgrade the target refused: it may still
        # expect the other protocol, or have read more of it than it answered.
        reusable = self.request_done and not self.upgrade and connection.parser.should_keep_alive()
        self._finish(APP, reusable)

    def upgraded(self, connection: UpstreamConnection, rest: bytes) -> None:
        """The target switched protocols: from now on bytes pass through untouched."""
        if self.phase is not SWITCHED or self.target is None:
            connection.close()
            return
        connection.tunnel = True
        self.target.tunnels.add(connection)
        self.client.out.append(rest)
        self.client.start_tunnel(connection)
        self._finish(APP, reusable=False, keep_upstream=True)

    def upstream_lost(self, connection: UpstreamConnection) -> None:
        phase = self.phase
        if phase is FINISHED:
            if connection.tunnel:
                self.client.close()
            return
        self.upstream = None
        if phase is UNTIL_CLOSE:
            if self.rechunk:
                self.client.out.append(LAST_CHUNK)
            self._finish(APP, reusable=False)
        elif phase is STREAMING or phase is SWITCHED:  # cut mid-body: the client must see it
            self.keep_alive = False
            self.client.abort()
            self.status = 502
            self._finish(PROXY, reusable=False)
        else:
            self._leave_target()
            self._retry_or_fail(replayable=False)

    def timed_out(self) -> None:
        """The target took longer than `request_timeout` to start answering."""
        connection, self.upstream = self.upstream, None
        if connection is not None:
            connection.exchange = None
            connection.close()
        self.fail(504)

    def fail(self, status: int) -> None:
        """Answer with the proxy's own error."""
        if not self.request_done:
            self.keep_alive = False
        self.status = status
        self.client.out.append(error_response(status, close=not self.keep_alive))
        self._finish(PROXY, reusable=False)

    def abandon(self) -> None:
        """The client went away: free the target and its connection."""
        if self.phase is not FINISHED:
            self.phase = FINISHED
            connection, self.upstream = self.upstream, None
            if connection is not None:
                connection.exchange = None
                connection.close()
            self._leave_target()

    def _finish(self, source: int, reusable: bool, keep_upstream: bool = False) -> None:
        """Count the exchange, give the connection back to the pool (or close
        it), free the target and let the client connection move on."""
        self.phase = FINISHED
        latency = monotonic() - self.started
        target, self.target = self.target, None
        group = self.group
        # Counted by its target; by the group itself when it had none to offer.
        counters = target.counters if target is not None else group and group.metrics.own
        if counters:
            counters.observe(self.status, source, latency, self.bytes_in, self.bytes_out)
        if target is not None:
            target.request_finished()  # after counting: a released target's totals are final
        connection, self.upstream = self.upstream, None
        client = self.client
        now = client.loop.time()
        if connection is not None and not keep_upstream:
            connection.exchange = None
            if reusable and target is not None and target.state in OPEN_STATES:
                if connection.reading_paused:  # paused for this client, not the next
                    connection.pause_reading(False)
                connection.reusable = True
                connection.idle_at = now
                target.idle.append(connection)
            else:
                connection.close()
        client.exchange_finished(self, now)
