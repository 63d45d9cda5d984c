"""Writes held until the event loop has handled every ready socket.

A target often shares a core with the proxy (always, on a laptop running
the whole service). A write to a sleeping process wakes it, and the
scheduler lets the woken process run at once: writing each request as soon
as it was read woke the target, and preempted the proxy, once per request.
Sent together at the end of the loop's iteration, the requests read in it
find the target awake for all of them; and replies sent together let a
client read many of them per wakeup and send its next requests together,
which makes the next batch larger. On the benchmark the two cut the
context switches per request from 0.75 to 0.34 and raised throughput by
a fifth or more.

Ends of connections go through the batch too, so that a connection closed
after its last reply still sends that reply first; so does a half-close
(`shut_writing`, a tunnel passing on its peer's FIN), after the bytes before it.
"""

from __future__ import annotations

import asyncio


class _End:
    """What `end` queues in place of data."""


CLOSE, ABORT, SHUT_WRITING = _End(), _End(), _End()


class WriteBatch:
    __slots__ = ("_loop", "_queued")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._queued: list[tuple[asyncio.Transport, bytes | _End]] | None = None

    def write(self, transport: asyncio.Transport, data: bytes | _End) -> None:
        """Send `data` on `transport` once the loop has run its ready callbacks;
        writes (and ends) keep their order."""
        queued = self._queued
        if queued is None:
            queued = self._queued = []
            self._loop.call_soon(self.send)
        queued.append((transport, data))

    def end(self, transport: asyncio.Transport, *, abort: bool = False) -> None:
        """Close `transport` after what was written to it (abort: cut it there)."""
        self.write(transport, ABORT if abort else CLOSE)

    def shut_writing(self, transport: asyncio.Transport) -> None:
        """Send FIN (shutdown SHUT_WR) after what was written; reading goes on."""
        self.write(transport, SHUT_WRITING)

    def send(self) -> None:
        """Send what is queued (dropped for a transport closed in the meantime)."""
        queued, self._queued = self._queued, None
        for transport, item in queued or ():
            if transport.is_closing():
                continue
            if item is CLOSE:
                transport.close()
            elif item is ABORT:
                transport.abort()
            elif item is SHUT_WRITING:
                if transport.can_write_eof():
                    transport.write_eof()
                else:
                    transport.close()
            elif item:
                transport.write(item)  # type: ignore[arg-type]  # not an _End: bytes
