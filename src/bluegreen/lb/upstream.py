"""One keep-alive connection from the proxy to a target.

Between requests it waits in its target's pool; during one it belongs to
an `Exchange` and turns llhttp's response callbacks into calls on it,
except body pieces: those go straight to the client's output (chunked
again when the exchange says `rechunk`), saving a call per piece. After
a `101 Switching Protocols` it becomes a tunnel: bytes pass both ways
untouched until either side closes.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, cast

from httptools import HttpParserError, HttpParserUpgrade, HttpResponseParser

from .http_heads import chunk

if TYPE_CHECKING:
    from .exchange import Exchange
    from .target import Target
    from .write_batch import WriteBatch

MAX_HEAD_BYTES = 65536


class UpstreamConnection(asyncio.Protocol):
    def __init__(self, target: Target, writes: WriteBatch) -> None:
        # The connection, and whose it is: the pool's or one exchange's
        self.target = target
        self.writes = writes
        self.transport: asyncio.Transport | None = None
        self.exchange: Exchange | None = None
        self.reusable = False  # open, and no response in progress
        self.idle_at = 0.0
        self.tunnel = False  # after a switch of protocols: bytes pass through
        self.reading_paused = False  # while the client can't take more
        self.shut_from_client = self.shut_from_target = False  # a tunnel's half-closes

        # The response being read. Its head's bytes are kept from its first
        # byte: its headers are read from them only when it has to be rebuilt,
        # which saves a Python call per header on every other response.
        self.parser = HttpResponseParser(self)
        self.awaiting_head = True
        self.received: bytes | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses
        self.target.connections.add(self)

    def data_received(self, data: bytes) -> None:
        exchange = self.exchange
        if exchange is None:  # nothing was asked: a confused target
            self.close()
            return
        if self.tunnel:
            exchange.client.write(data)
            return
        if self.awaiting_head:
            if self.received is None:
                self.received = data
            elif len(self.received) < MAX_HEAD_BYTES:
                self.received += data
            else:  # a head that never ends: a broken target
                self.close()
                return
        try:
            self.parser.feed_data(data)
        except HttpParserUpgrade as upgrade:
            exchange.upgraded(self, data[upgrade.args[0] :])
        except HttpParserError:
            self.close()
        if exchange.client.out:
            exchange.client.flush()

    def eof_received(self) -> bool:
        """In a tunnel, the target's FIN is the client's half-close (the client may still
        send; both halves shut: closed). Otherwise the connection is done with."""
        self.reusable = False
        if not self.tunnel or self.exchange is None:
            return False
        self.shut_from_target = True
        self.exchange.client.shut_writing()
        if self.shut_from_client:
            self.close()
        return True

    def peer_shut_writing(self) -> bool:
        """The tunnel's client half-closed: FIN to the target after the client's bytes.
        The client's transport stays open (True) while the target may still answer."""
        self.shut_from_client = True
        if self.transport is not None:
            self.writes.shut_writing(self.transport)
        if self.shut_from_target:
            self.close()
            return False
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        self.reusable = False
        self.target.connections.discard(self)
        if self.tunnel:
            self.target.tunnel_closed(self)
        exchange, self.exchange = self.exchange, None
        if exchange is not None:
            exchange.upstream_lost(self)

    def pause_writing(self) -> None:
        if self.exchange is not None:
            self.exchange.client.pause_for_upstream(True)

    def resume_writing(self) -> None:
        if self.exchange is not None:
            self.exchange.client.pause_for_upstream(False)

    def pause_reading(self, paused: bool) -> None:
        if paused != self.reading_paused and self.transport is not None:
            self.reading_paused = paused
            if paused:
                self.transport.pause_reading()
            else:
                self.transport.resume_reading()

    def close(self) -> None:
        self.reusable = False
        if self.transport is not None:
            self.transport.close()

    def write(self, data: bytes) -> None:
        assert self.transport is not None
        self.writes.write(self.transport, data)

    def fresh_parser(self) -> None:
        """Responses to HEAD have a length but no body, which llhttp can't be told."""
        self.parser = HttpResponseParser(self)
        self.awaiting_head = True
        self.received = None

    # llhttp callbacks

    def on_headers_complete(self) -> None:
        received = self.received or b""
        end = received.find(b"\r\n\r\n") + 4
        status = self.parser.get_status_code()
        # What follows an informational head in the same read is the next response.
        self.received = received[end:] if 100 <= status < 200 else None
        self.awaiting_head = False
        if self.exchange is not None:
            self.exchange.response_head(self, status, received[:end] if end >= 4 else None)

    def on_body(self, body: bytes) -> None:
        exchange = self.exchange
        if exchange is not None:
            exchange.bytes_out += len(body)
            exchange.client.out.append(chunk(body) if exchange.rechunk else body)

    def on_message_complete(self) -> None:
        self.awaiting_head = True
        if self.exchange is not None:
            self.exchange.response_complete(self)


async def connect(target: Target, timeout: float, writes: WriteBatch) -> UpstreamConnection:
    loop = asyncio.get_running_loop()
    _, connection = await asyncio.wait_for(
        loop.create_connection(
            lambda: UpstreamConnection(target, writes), target.host, target.port
        ),
        timeout,
    )
    return connection
