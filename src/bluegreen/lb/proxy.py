"""The client side of the proxy: one asyncio Protocol per client connection.

llhttp (through httptools) parses requests; this class turns its callbacks
into `Exchange`s. It gets no callback per header: a head is taken from the
bytes as they came, which keeps most heads from being rebuilt and saves a
Python call per header on every request (a sixth of the proxy's time for
a browser's request). Only heads that must be rebuilt are read again,
header by header.

The class also queues pipelined requests, enforces the header, body and
idle timeouts (checked by the load balancer's sweep, not per-request
timers), and applies backpressure both ways: reading from the client
pauses while a target can't take more, and reading from the target pauses
while the client can't.

Anything llhttp or `http_heads` refuses (ambiguous length, bad chunk size,
oversize head, a malformed request line, a missing or doubled Host) is
answered 400 and the connection closed, and no byte of it is forwarded;
the requests that came whole before it are answered first, as HAProxy
does. A CONNECT is answered 405 unless `ProxySettings.allow_connect`. A
client that half-closes (shutdown SHUT_WR) gets the answers to the
requests it sent whole, then the connection is closed.

A request that asks to switch protocols (Upgrade, or an allowed CONNECT)
is forwarded alone: what the client sent after its head is held, and
reading paused, until the target answers. A 101 (a 2xx to CONNECT) makes
those bytes the first of a tunnel; any other answer leaves an HTTP
connection, and they are parsed as the client's next request. Forwarding
them at once would let a target that refuses the upgrade answer them as a
request the proxy never saw, on a connection that then goes back to the
pool: a response desync, one client's answer read by the next.
"""

from __future__ import annotations

import asyncio
from collections import deque
from enum import Enum
from typing import TYPE_CHECKING, cast

from httptools import HttpParserError, HttpParserUpgrade, HttpRequestParser

from .exchange import Exchange
from .flow_control import BUFFER, UPGRADE, UPSTREAM, FlowControl
from .http_heads import CRLF, BadRequest, error_response, forwarded_headers
from .proxy_settings import ProxySettings
from .request_intake import exchange_for

if TYPE_CHECKING:
    from .listener import Listener
    from .upstream import UpstreamConnection
    from .write_batch import WriteBatch


class ReadPhase(Enum):
    IDLE = "idle"  # between requests
    HEAD = "head"  # reading a request head
    BODY = "body"  # reading a request body
    SWITCHING = "switching"  # an upgrade's head is read: what follows waits for the answer
    TUNNEL = "tunnel"  # the target switched protocols: bytes pass through
    REFUSED = "refused"  # a request was refused: nothing more is read


# The members under module names: on Python 3.11 each `ReadPhase.X` is a lookup
# costing ~70 ns, and a request reads or sets its phase six times.
IDLE, HEAD, BODY, SWITCHING, TUNNEL, REFUSED = ReadPhase


class ClientConnection(asyncio.Protocol):
    def __init__(self, listener: Listener, settings: ProxySettings, writes: WriteBatch) -> None:
        # The connection
        self.listener = listener
        self.settings = settings
        self.writes = writes  # to targets and to this client: see write_batch
        self.loop = asyncio.get_running_loop()
        self.transport: asyncio.Transport | None = None
        self.flow = FlowControl()
        self.closing = False
        self.client_ip = b""
        self.port = str(listener.port).encode()
        self.forwarded = b""  # the X-Forwarded lines and the blank line ending a head
        self.now = self.since = self.loop.time()  # now: when the last read arrived

        # Requests: the one being read, the ones waiting for their answers
        self.parser = HttpRequestParser(self)
        self.phase = IDLE
        self.queue: deque[Exchange] = deque()  # the first one is being answered
        self.reading: Exchange | None = None  # the one whose body is arriving
        self.out: list[bytes] = []  # answers for the client, written once per read
        self.held: list[bytes] = []  # what came after an upgrade's head (SWITCHING)
        self.tunnel: UpstreamConnection | None = None
        self.refusal: bytes | None = None  # the error answer owed once the queue is answered

        # Where the head being read starts in the bytes received. llhttp is
        # given no per-header callbacks: each head is read from the bytes as
        # received, which takes knowing where in them it starts.
        self.head: list[bytes] | None = None  # the reads of the head being read, from its start
        self.head_size = 0
        self.next_head: bytes | None = None  # where a request starting now starts
        self.body_from = b""  # this read, from where the body being read is in it
        self.body_seen = 0  # body bytes of that request in this read
        self._rejection: BadRequest | None = None
        self._unplaced = False  # a request came whose head can't be found in the bytes

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses
        listener = self.listener
        if len(listener.connections) >= listener.max_connections:
            self.phase = REFUSED  # nothing it sends is read
            listener.turn_away(self.transport)
            return
        self.flow.attach(self.transport)
        listener.connections.add(self)
        peer = transport.get_extra_info("peername")
        self.client_ip = str(peer[0] if peer else "").encode()
        self.forwarded = forwarded_headers(self.client_ip, self.port) + CRLF

    def data_received(self, data: bytes) -> None:
        phase = self.phase
        if phase is IDLE:
            self.next_head = data
        elif phase is HEAD:
            if self.head is not None:
                self.head.append(data)
                self.head_size += len(data)
        elif phase is BODY:
            self.body_from = data
        elif phase is TUNNEL:
            assert self.tunnel is not None
            self.tunnel.write(data)
            return
        elif phase is SWITCHING:  # read before the pause took effect
            self.held.append(data)
            return
        else:  # REFUSED: what follows a refused request is not read as HTTP
            return
        self.now = self.loop.time()
        self.body_seen = 0
        try:
            self.parser.feed_data(data)
        except HttpParserUpgrade as upgrade:
            self._start_upgrade(data[upgrade.args[0] :])
        except HttpParserError:
            if self._unplaced:
                self._close_after_answers()
            else:  # the requests complete before the error are still answered
                self.reject(self._rejection.status if self._rejection else 400)
        if self.phase is HEAD and self.head_size > self.settings.max_header_bytes:
            self.reject(400)  # a head still arriving: the complete ones are checked below
        queue = self.queue
        if queue:
            first = queue[0]
            if first.pending is not None and not first.tried:
                first.dispatch()
        if self.out:
            self.flush()

    def eof_received(self) -> bool:
        """The client half-closed (shutdown SHUT_WR): the requests it sent
        whole are answered, then the connection closed. A request cut short
        is dropped unanswered. In a tunnel the FIN is passed on to the target
        as a half-close, and the target's answer still comes back (both
        halves shut: closed); an upgrade waiting for its answer is closed."""
        if self.closing:  # its end waits in the write batch, behind its last answer
            return True
        if self.phase is TUNNEL and self.tunnel is not None:
            return self.tunnel.peer_shut_writing()
        if self.phase is SWITCHING:
            return False
        self.phase = REFUSED
        if not self._drop_unfinished(None) and self.refusal is None:
            self._close_after_answers()
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        self.closing = True
        self.flow.detach()
        self.listener.connections.discard(self)
        for exchange in self.queue:
            exchange.abandon()
        self.queue.clear()
        if self.tunnel is not None:
            self.tunnel.close()

    def pause_writing(self) -> None:
        self._pause_upstream(True)

    def resume_writing(self) -> None:
        self._pause_upstream(False)

    def _pause_upstream(self, paused: bool) -> None:
        """Reading from the target feeding this client follows its socket buffer."""
        self.flow.writing_paused = paused
        upstream = self.tunnel
        if upstream is None and self.queue:
            upstream = self.queue[0].upstream
        if upstream is not None:
            upstream.pause_reading(paused)

    # llhttp callbacks

    def on_message_begin(self) -> None:
        start = self.next_head
        self.head = None if start is None else [start]
        self.head_size = 0 if start is None else len(start)
        self.phase = HEAD
        self.since = self.now

    def on_headers_complete(self) -> None:
        parser = self.parser
        parts = self.head
        if parts is None:  # see `on_message_complete`
            self._unplaced = True
            raise BadRequest(400, "a request pipelined behind a chunked one")
        source = parts[0] if len(parts) == 1 else b"".join(parts)
        if source[0] < 32:  # a method starts with a letter: empty lines first, which llhttp skips
            source = source.lstrip(b"\r\n")
        end = source.find(b"\r\n\r\n") + 4
        raw = source if end == len(source) else source[:end]
        if len(raw) > self.settings.max_header_bytes:
            self._refuse(BadRequest(400, "request head above max_header_bytes"))
        self.head = None
        self.head_size = 0
        self.body_from = source[end:]
        self.body_seen = 0
        try:
            exchange = exchange_for(self, parser, raw)
        except BadRequest as bad:
            self._refuse(bad)
        self.phase = BODY
        self.since = self.now
        self.reading = exchange
        self.queue.append(exchange)
        if self.flow.paused or len(self.queue) > 1:
            self.update_buffer_pause()

    def on_body(self, body: bytes) -> None:
        exchange = self.reading
        assert exchange is not None
        self.since = self.now
        self.body_seen += len(body)
        limit = self.settings.max_body
        if limit is not None and exchange.bytes_in + len(body) > limit:
            self._refuse(BadRequest(413, "body above max_body"))
        exchange.send_body(body)

    def on_message_complete(self) -> None:
        exchange = self.reading
        # A request that starts in this read starts where this one ended,
        # unless chunk sizes hid that. (Then it is refused, and the
        # connection closed once the requests before it are answered: a
        # client that pipelines retries what was not answered, RFC 9112 9.3.2.)
        self.next_head = self.body_from[self.body_seen :]
        if exchange is not None:
            if exchange.chunked:
                exchange.send_last_chunk()
                self.next_head = None
            exchange.request_done = True
            self.reading = None
        self.phase = IDLE
        self.since = self.now

    def _refuse(self, bad: BadRequest) -> None:
        self._rejection = bad
        raise bad

    # What exchanges call

    def write(self, data: bytes) -> None:
        if self.transport is not None:
            self.writes.write(self.transport, data)

    def shut_writing(self) -> None:
        """The tunnel's target half-closed: FIN to the client after its last bytes."""
        self.flush()
        if self.transport is not None and not self.closing:
            self.writes.shut_writing(self.transport)

    def flush(self) -> None:
        out = self.out
        if out and self.transport is not None:
            self.writes.write(self.transport, out[0] if len(out) == 1 else b"".join(out))
            out.clear()

    def exchange_finished(self, exchange: Exchange, now: float) -> None:
        queue = self.queue
        if queue and queue[0] is exchange:
            queue.popleft()
        flow = self.flow
        if flow.paused:
            flow.resume(UPSTREAM)
        if self.tunnel is not None:
            return
        if not exchange.keep_alive:
            self.close()
            return
        if not queue and self.refusal is not None:
            self.out.append(self.refusal)
            self.close()
            return
        self.since = now
        if self.out:
            self.flush()
        if queue:
            if queue[0].pending is not None:
                queue[0].dispatch()
            self.update_buffer_pause()
        elif flow.paused:
            flow.resume(BUFFER)
            if self.phase is SWITCHING:  # paused for UPGRADE too, so only looked at here
                self.loop.call_soon(self._after_refused_upgrade)

    def start_tunnel(self, upstream: UpstreamConnection) -> None:
        """The target agreed to switch: what the client sent after the head
        goes first, then everything it sends."""
        self.tunnel = upstream
        self.phase = TUNNEL
        held, self.held = self.held, []
        if held:
            upstream.write(b"".join(held))
        self.flow.resume(UPGRADE | BUFFER)

    def _after_refused_upgrade(self) -> None:
        """Still HTTP: what came after the upgrade's head is the next request.
        (Called from the loop, not from inside the target's callbacks.)"""
        if self.closing:
            return
        held, self.held = b"".join(self.held), []
        self.parser = HttpRequestParser(self)  # llhttp stops for good at an upgrade
        self.phase = IDLE
        self.flow.resume(UPGRADE)
        if held:
            self.data_received(held)

    def pause_for_upstream(self, paused: bool) -> None:
        """A target's socket buffer is full (or no longer): stop (resume) reading."""
        self.flow.pause(UPSTREAM, paused)

    def update_buffer_pause(self) -> None:
        """Bound what waits in memory: one pipelined request, `pause_above` bytes."""
        queue = self.queue
        waiting = len(queue) > 1 or (
            bool(queue)
            and queue[-1].pending is not None
            and queue[-1].pending_size > self.settings.pause_above
        )
        if waiting or self.flow.paused & BUFFER:
            self.flow.pause(BUFFER, waiting)

    def _start_upgrade(self, rest: bytes) -> None:
        """The request asks to switch protocols: it goes alone, and what came
        after its head waits (see the module's docstring)."""
        self.on_message_complete()
        self.phase = SWITCHING
        if rest:
            self.held.append(rest)
        self.flow.pause(UPGRADE)

    # Ending

    def check_deadlines(self, now: float) -> None:
        settings = self.settings
        first = self.queue[0] if self.queue else None
        if (
            first is not None
            and first.upstream is not None
            and first.answer_pending
            and now - first.sent_at > settings.request_timeout
        ):
            first.timed_out()
            self.flush()
        limit = {
            HEAD: settings.header_timeout,
            BODY: settings.body_timeout,
        }.get(self.phase)
        elapsed = now - self.since
        if limit is not None and elapsed > limit:
            self.reject(408)
        elif not self.queue and self.tunnel is None and elapsed > settings.idle_timeout:
            self.close()

    def reject(self, status: int) -> None:
        """Refuse what the client sent (or failed to send in time): the
        requests complete before it are answered first, then `status`, and
        the connection is closed (as HAProxy does). A request still arriving
        is dropped, along with its target connection."""
        self.phase = REFUSED
        if self._drop_unfinished(status):
            return
        if self.queue:
            self.refusal = error_response(status, close=True)
        else:
            self.out.append(error_response(status, close=True))
            self.close()

    def _drop_unfinished(self, status: int | None) -> bool:
        """Forget the request still arriving, if any; whether that ended the
        connection (it was forwarded in part: it is answered `status`, unless
        None or its answer has begun)."""
        unfinished, self.reading = self.reading, None
        if unfinished is None:
            return False
        queue = self.queue
        if unfinished is not queue[0]:  # not dispatched yet: nothing of it left
            queue.pop()
            return False
        if unfinished.answer_pending:
            unfinished.abandon()
            queue.clear()
            if status is not None:
                self.out.append(error_response(status, close=True))
        self.close()
        return True

    def _close_after_answers(self) -> None:
        """Read no more; close once the requests before now are answered."""
        if self.queue:
            self.queue[-1].keep_alive = False
        else:
            self.close()

    def abort(self) -> None:
        """Cut the connection without a proper ending (a target died mid-response)."""
        self._end(abort=True)

    def close(self) -> None:
        self._end(abort=False)

    def _end(self, *, abort: bool) -> None:
        """After what is written so far: the writes wait for the loop (write_batch)."""
        self.flush()
        if self.transport is not None and not self.closing:
            self.writes.end(self.transport, abort=abort)
        self.closing = True
        self.flow.detach()
