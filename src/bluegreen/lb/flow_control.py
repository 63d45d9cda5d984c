"""Backpressure for one client connection, both ways.

Reading from the client pauses while what it sends could only pile up in
memory, for any of three reasons at once, and resumes when none is left:
a pipelined request (or `pause_above` bytes of body) already waits for a
target (`BUFFER`); a target's socket buffer is full (`UPSTREAM`); the
client asked to switch protocols and the target has not answered yet
(`UPGRADE`: nothing it sends after that head may be read as HTTP, or
forwarded, before the answer says which it is).

Writing to the client is the other direction: while its socket buffer is
full, reading from the target that feeds it pauses (`writing_paused`).

The reasons are bits of one integer, so the hot path asks `flow.paused`
once, without a call, and finds it 0.
"""

from __future__ import annotations

import asyncio

BUFFER, UPSTREAM, UPGRADE = 1, 2, 4  # why reading from the client is paused


class FlowControl:
    __slots__ = ("_transport", "paused", "writing_paused")

    def __init__(self) -> None:
        self._transport: asyncio.Transport | None = None
        self.paused = 0  # the reasons, or-ed
        self.writing_paused = False  # the client's socket buffer is full

    def attach(self, transport: asyncio.Transport) -> None:
        self._transport = transport

    def detach(self) -> None:
        """The connection is closing: its transport is no longer paused or resumed."""
        self._transport = None

    def pause(self, reason: int, on: bool = True) -> None:
        """Add (on) or remove one reason; the transport is paused or resumed
        only when the first reason comes or the last one goes."""
        before = self.paused
        self.paused = after = before | reason if on else before & ~reason
        transport = self._transport
        if transport is None or bool(before) == bool(after):
            return
        if after:
            transport.pause_reading()
        else:
            transport.resume_reading()

    def resume(self, reason: int) -> None:
        self.pause(reason, on=False)
