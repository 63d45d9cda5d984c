"""The property every request through the proxy must keep, checked on real
sockets, for the smuggling corpus and the fuzzing runs.

Whatever a client sends, either the proxy refuses it (an error answer, or
a close) and none of it reaches a target as a request, or the bytes a
target receives parse, with a strict parser (h11), to the very requests
the proxy read (llhttp): method, target, end-to-end headers and body. And
each client gets exactly its own answers: the target's answer names the
request it answered (a digest in `X-Seen`), and after every case a request
from another client, sent down the same pooled connection, must get its
own answer too. A desync, where the target sees a request the proxy did
not, shows up as one more request at the target, or an answer to the
wrong request.

The load balancer and the target run on an event loop in a thread of
their own (`Rig`), so the cases, each on a fresh client socket, need no
new load balancer each.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, cast

import h11
import httptools

from bluegreen.lb.load_balancer import LoadBalancer, loop_factory
from bluegreen.lb.proxy_settings import ProxySettings

from .harness import FAST_HEALTH, parse_responses, wait_for

# Headers the proxy drops or writes itself: not compared.
HOP_BY_HOP = frozenset(
    (b"connection", b"keep-alive", b"proxy-connection", b"te", b"trailer",
     b"transfer-encoding", b"upgrade", b"content-length",
     b"x-forwarded-for", b"x-forwarded-proto", b"x-forwarded-port")
)  # fmt: skip
SETTINGS = ProxySettings(header_timeout=5.0, body_timeout=5.0, request_timeout=5.0)


@dataclass(frozen=True)
class Seen:
    """A request as one parser read it, minus what the proxy may change."""

    method: bytes
    target: bytes
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes

    @classmethod
    def of(
        cls, method: bytes, target: bytes, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> Seen:
        named = {
            token.strip(b" \t").lower()
            for name, value in headers
            if name.lower() == b"connection"
            for token in value.split(b",")
        }
        kept = tuple(
            (name.lower(), value.strip(b" \t"))
            for name, value in headers
            if name.lower() not in HOP_BY_HOP and name.lower() not in named
        )
        return cls(method, target, kept, body)

    @property
    def digest(self) -> bytes:
        return hashlib.sha256(repr(self).encode()).hexdigest()[:20].encode()


class _Reading:
    """llhttp's callbacks, collecting each request the proxy's parser reads."""

    def __init__(self, parser_address: bytes) -> None:
        self.address = parser_address
        self.requests: list[Seen] = []
        self.parser = httptools.HttpRequestParser(self)
        self._reset()

    def _reset(self) -> None:
        self.url = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.body = b""
        self.in_head = True

    def on_message_begin(self) -> None:
        self._reset()

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        if self.in_head:  # not the trailer fields of a chunked body
            self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self.in_head = False
        if self.parser.get_http_version() == "1.0" and not any(
            name.lower() == b"host" for name, _ in self.headers
        ):  # the proxy gives it the address it was sent to
            self.headers.insert(0, (b"Host", self.address))
        scheme, absolute, rest = self.url.partition(b"://")
        if absolute and scheme.lower() in (b"http", b"https"):
            # RFC 9112 3.2.2: the authority is the host; the path goes on in origin form
            authority = re.split(rb"[/?]", rest, maxsplit=1)[0]
            path = rest[len(authority) :]
            self.url = path if path.startswith(b"/") else b"/" + path
            others = [(name, value) for name, value in self.headers if name.lower() != b"host"]
            self.headers = [(b"Host", authority), *others]

    def on_body(self, body: bytes) -> None:
        self.body += body

    def on_message_complete(self) -> None:
        self.requests.append(Seen.of(self.parser.get_method(), self.url, self.headers, self.body))


def read_as_the_proxy(data: bytes, address: bytes) -> list[Seen]:
    """The requests llhttp reads in `data` before it stops. After an upgrade
    (which the target below refuses) it reads on, as the proxy does."""
    reading = _Reading(address)
    while True:
        try:
            reading.parser.feed_data(data)
        except httptools.HttpParserUpgrade as upgrade:
            data = data[upgrade.args[0] :]
            reading.parser = httptools.HttpRequestParser(reading)
            if data:
                continue
        except httptools.HttpParserError:
            pass
        return reading.requests


@dataclass
class Target:
    """A backend that parses with h11 and answers each request with its digest."""

    records: list[Seen] = field(default_factory=list)
    errors: list[tuple[bytes, str]] = field(default_factory=list)  # (what it got, why refused)
    port: int = 0


class _TargetConnection(asyncio.Protocol):
    def __init__(self, target: Target) -> None:
        self.target = target
        self.h11 = h11.Connection(h11.SERVER)
        self.raw = bytearray()
        self.request: h11.Request | None = None
        self.body = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.raw += data
        self.h11.receive_data(data)
        try:
            self._events()
        except h11.RemoteProtocolError as exc:
            self.target.errors.append((bytes(self.raw), str(exc)))
            self._close()

    def eof_received(self) -> None:
        self.h11.receive_data(b"")
        # A request cut short by the proxy (it refused the rest) is no error.
        with contextlib.suppress(h11.RemoteProtocolError):
            self._events()

    def _events(self) -> None:
        while self.transport is not None:
            event = self.h11.next_event()
            if event is h11.NEED_DATA or event is h11.PAUSED:
                return
            if isinstance(event, h11.Request):
                self.request, self.body = event, bytearray()
            elif isinstance(event, h11.Data):
                self.body += event.data
            elif isinstance(event, h11.EndOfMessage):
                self._answer()
            elif isinstance(event, h11.ConnectionClosed):
                self._close()

    def _answer(self) -> None:
        request = self.request
        assert request is not None
        seen = Seen.of(request.method, request.target, list(request.headers), bytes(self.body))
        if request.target != b"/health":
            self.target.records.append(seen)
        body = b"" if request.method == b"HEAD" else seen.digest
        out = self.h11.send(
            h11.Response(
                status_code=200,
                headers=[(b"Content-Length", b"%d" % len(body)), (b"X-Seen", seen.digest)],
            )
        )
        out = (out or b"") + (self.h11.send(h11.Data(data=body)) or b"") if body else out or b""
        out += self.h11.send(h11.EndOfMessage()) or b""
        assert self.transport is not None
        self.transport.write(out)
        if self.h11.our_state is h11.DONE and self.h11.their_state is h11.DONE:
            self.h11.start_next_cycle()
        else:
            self._close()

    def _close(self) -> None:
        if self.transport is not None:
            self.transport.close()
            self.transport = None


class Rig:
    """A load balancer in front of one `Target`, on a loop in its own thread."""

    def __init__(self, settings: ProxySettings = SETTINGS) -> None:
        self.settings = settings
        self.target = Target()
        self.port = 0
        self.barriers = 0
        self._loop = loop_factory()()
        self._stop: asyncio.Event | None = None
        self._ready: Future[None] = Future()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Rig:
        self._thread.start()
        self._ready.result(timeout=30)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)

    def _run(self) -> None:
        self._loop.run_until_complete(self._serve())
        self._loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: _TargetConnection(self.target), "127.0.0.1", 0)
        self.target.port = server.sockets[0].getsockname()[1]
        lb = LoadBalancer(settings=self.settings)
        group = lb.add_target_group("t", FAST_HEALTH, deregistration_delay=0.1)
        group.register("127.0.0.1", self.target.port)
        listener = await lb.add_listener("production", 0)
        listener.set_weights({"t": 100})
        self.port = listener.port
        try:
            await wait_for(lambda: group.healthy_count == 1)
            self._ready.set_result(None)
            await self._stop.wait()
        except BaseException as exc:
            if not self._ready.done():
                self._ready.set_exception(exc)
            raise
        finally:
            await lb.close()
            server.close()

    @property
    def address(self) -> bytes:
        return b"127.0.0.1:%d" % self.port

    def check(self, data: bytes) -> list[str]:
        """Every way the property fails for `data`; empty when it holds."""
        records, errors = len(self.target.records), len(self.target.errors)
        expected = read_as_the_proxy(data, self.address)
        answer, cut = self.send(data)
        problems = self._barrier()
        received = self.target.records[records:-1]  # the last one is the barrier
        problems += [
            f"the target refused {raw!r}: {why}" for raw, why in self.target.errors[errors:]
        ]
        problems += compare(expected, received, answer, cut)
        return problems

    def send(self, data: bytes) -> tuple[bytes, bool]:
        """Send `data`, half-close, read until the proxy closes; and whether
        the connection was reset rather than closed."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as client:
            client.sendall(data)
            client.shutdown(socket.SHUT_WR)
            chunks = []
            try:
                while chunk := client.recv(65536):
                    chunks.append(chunk)
            except ConnectionResetError:
                return b"".join(chunks), True
            return b"".join(chunks), False

    def _barrier(self) -> list[str]:
        """A request from another client, answered in its own right: it
        comes after anything the case had forwarded, and finds the pooled
        connection with no answer of someone else's waiting in it."""
        self.barriers += 1
        path = b"/__barrier/%d" % self.barriers
        answer, _ = self.send(b"GET %s HTTP/1.1\r\nHost: b\r\n\r\n" % path)
        responses = parse_responses(answer)
        own = Seen.of(b"GET", path, [(b"Host", b"b")], b"").digest
        if [r.headers.get(b"x-seen") for r in responses] != [own]:
            return [f"another client, after this one, got {answer!r}"]
        if not self.target.records or self.target.records[-1].target != path:
            return ["the barrier request was not the last the target saw"]
        return []


def compare(expected: list[Seen], received: list[Seen], answer: bytes, cut: bool) -> list[str]:
    """What the target got and the client was answered, against what the proxy read."""
    try:
        responses = parse_responses(answer)
    except httptools.HttpParserError as exc:
        return [f"the client got an answer it cannot parse ({exc}): {answer!r}"]
    problems = []
    if received != expected[: len(received)]:
        problems.append(f"the target got {received} where the proxy read {expected}")
    answered = [r for r in responses if b"x-seen" in r.headers]
    if len(answered) != len(received):
        problems.append(f"{len(received)} requests reached the target; {len(answered)} answered")
    for n, (response, seen) in enumerate(zip(answered, expected, strict=False)):
        if response.headers[b"x-seen"] != seen.digest:
            problems.append(f"answer {n} is not to the client's request {n} ({seen})")
    own = responses[len(answered) :]
    if responses[: len(answered)] != answered or len(own) > 1:
        problems.append(f"the proxy's own answers are not one, after the target's: {answer!r}")
    if own and not 400 <= own[0].status < 500:
        problems.append(f"the proxy answered {own[0].status}")
    if cut and len(answered) < len(expected) and not own:
        problems.append("the connection was reset before the answers")
    return problems


def failures(rig: Rig, cases: Iterator[tuple[str, bytes]]) -> Iterator[tuple[str, bytes, Any]]:
    """(name, bytes, problems) for each case whose property fails."""
    for name, data in cases:
        problems = rig.check(data)
        if problems:
            yield name, data, problems
