"""Request and response heads as they cross the proxy.

Headers are passed through as the peer wrote them (name case, order,
values), minus the hop-by-hop ones, which describe one connection and not
the message. Framing headers are checked here too: a request whose length
is ambiguous (Content-Length with Transfer-Encoding, two Content-Lengths,
a length that is not a number) is how request smuggling starts, so it is
refused with 400 even where llhttp would have caught it already.
"""

from __future__ import annotations

import contextlib
import re
from http import HTTPStatus

from httptools import HttpParserUpgrade, HttpRequestParser, HttpResponseParser

HOP_BY_HOP = frozenset(
    (b"connection", b"keep-alive", b"proxy-connection", b"te", b"trailer",
     b"transfer-encoding", b"upgrade", b"content-length")
)  # fmt: skip
FORWARDED = frozenset((b"x-forwarded-for", b"x-forwarded-proto", b"x-forwarded-port"))
REQUEST_DROPPED = HOP_BY_HOP | FORWARDED
# In a lowered head that llhttp accepted, `\nname:` can only start a header line.
REQUEST_DROPPED_LINE = re.compile(
    rb"\n(?:" + b"|".join(re.escape(name) for name in sorted(REQUEST_DROPPED)) + rb"):"
)
CONNECTION_OPTIONS = frozenset((b"close", b"keep-alive", b"upgrade"))
# The HTTP versions forwarded. llhttp reads "HTTP/2.0" in a request line too.
HTTP_VERSIONS = (b"HTTP/1.1", b"HTTP/1.0")
# A Host line whose value is a host (RFC 9110 7.2: uri-host [":" port]), in
# a lowered head, checked per byte as nginx does: no "/", "@", "?", "\\",
# space or non-ASCII. Empty is allowed, for a target URI with no authority.
HOST_LINE = re.compile(rb"\nhost:[ \t]*[-a-z0-9._~!$&'()*+,;=%:\[\]]*[ \t]*\r")
IDEMPOTENT = frozenset((b"GET", b"HEAD", b"OPTIONS", b"TRACE", b"PUT", b"DELETE"))
CRLF = b"\r\n"


class BadRequest(Exception):
    """The client's request can't be forwarded; answer `status` and close."""

    def __init__(self, status: int, why: str) -> None:
        super().__init__(why)
        self.status = status


class Framing:
    """What the dropped headers said about the message's length and connection."""

    __slots__ = (
        "chunked",
        "connection",
        "content_length",
        "forwarded_for",
        "hop",
        "lengths",
        "upgrade",
    )

    def __init__(self) -> None:
        self.hop = 0  # dropped headers other than Content-Length
        self.content_length: int | None = None
        self.lengths = 0
        self.chunked = False
        self.connection: list[bytes] = []
        self.upgrade: bytes | None = None
        self.forwarded_for: bytes | None = None

    def note(self, lower: bytes, value: bytes) -> None:
        if lower == b"content-length":
            self.lengths += 1
            value = value.strip(b" \t")  # OWS around a value is legal (RFC 9110 5.5)
            if value.isdigit():
                self.content_length = int(value)
            return
        self.hop += 1
        if lower == b"transfer-encoding":
            self.chunked = True
            if value.strip(b" \t").lower() != b"chunked":
                self.lengths += 2  # only plain "chunked" is forwarded
        elif lower == b"connection":
            self.connection.extend(v.strip().lower() for v in value.split(b","))
        elif lower == b"upgrade":
            self.upgrade = value
        elif lower == b"x-forwarded-for":
            self.forwarded_for = value if self.forwarded_for is None else (
                self.forwarded_for + b", " + value
            )  # fmt: skip

    def check_request(self) -> None:
        """Refuse any request whose body length two parsers could read differently."""
        if self.chunked and self.lengths:
            raise BadRequest(400, "both Content-Length and Transfer-Encoding")
        if self.lengths > 1:
            raise BadRequest(400, "more than one Content-Length")
        if self.lengths and self.content_length is None:
            raise BadRequest(400, "invalid Content-Length")
        if b"host" in self.connection:  # it would be dropped as hop-by-hop
            raise BadRequest(400, "Connection names Host")


def scan_headers(headers: list[tuple[bytes, bytes]], dropped: frozenset[bytes]) -> Framing:
    """Note what the `dropped` headers say, copying nothing."""
    framing = Framing()
    for name, value in headers:
        lower = name.lower()
        if lower in dropped:
            framing.note(lower, value)
    return framing


def copy_headers(
    headers: list[tuple[bytes, bytes]],
    out: list[bytes],
    framing: Framing,
    dropped: frozenset[bytes],
) -> None:
    """Append `name: value` lines to `out`, except `dropped` ones and the ones
    `Connection` names (which are hop-by-hop too)."""
    extra = [token for token in framing.connection if token not in CONNECTION_OPTIONS]
    if extra:
        dropped = dropped | frozenset(extra)
    for name, value in headers:
        if name.lower() not in dropped:
            out.append(name + b": " + value + CRLF)


def forwarded_headers(client_ip: bytes, port: bytes, earlier: bytes | None = None) -> bytes:
    forwarded_for = client_ip if earlier is None else earlier + b", " + client_ip
    return (
        b"X-Forwarded-For: " + forwarded_for
        + b"\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Port: " + port + CRLF
    )  # fmt: skip


def check_request_head(head: bytes, lower: bytes) -> bool:
    """Refuse a malformed request line and a Host that is doubled, missing
    from an HTTP/1.1 request, or not a host (RFC 9112 3.2: 400, as nginx
    does). Returns whether the request is an HTTP/1.0 one without Host:
    forwarded as HTTP/1.1, it is given one. `lower` is `head.lower()`.

    llhttp has checked the method, the target's bytes and the version's
    form; it lets through more than one space around the target (which
    another parser reads differently) and versions other than 1.x. This
    runs for every request, so it takes the fewest scans of the head: two
    for the request line, two for Host (a count, then its value)."""
    eol = head.find(b"\r\n")
    if head.count(b" ", 0, eol) != 2 or not head.startswith(HTTP_VERSIONS, eol - 8, eol):
        raise BadRequest(400, "malformed request line")
    hosts = lower.count(b"\nhost:", eol)
    if hosts != 1:
        if hosts:
            raise BadRequest(400, "more than one Host header")
        if head[eol - 1] == 49:  # HTTP/1.1
            raise BadRequest(400, "no Host header")
        return True
    if HOST_LINE.search(lower, eol) is None:
        raise BadRequest(400, "invalid Host header")
    return False


def origin_form(target: bytes) -> tuple[bytes, bytes]:
    """An absolute-form target (`http://authority/path?query`) as its authority and
    its origin form (`/path?query`). RFC 9112 3.2.2: the authority, not Host, names
    the host; the target then gets it as its only Host, and the path alone, so no
    target can read the request as naming two hosts."""
    rest = target[target.index(b"://") + 3 :]
    cut = min((i for i in (rest.find(b"/"), rest.find(b"?")) if i >= 0), default=len(rest))
    authority, path = rest[:cut], rest[cut:]
    valid = HOST_LINE.match(b"\nhost:" + authority.lower() + b"\r") is not None
    if not authority or b"@" in authority or not valid:
        raise BadRequest(400, "absolute-form target without a valid host")
    return authority, path if path.startswith(b"/") else b"/" + path


def request_passes(lower: bytes) -> bool:
    """Whether a keep-alive request's head (lowered) can go to the target as
    it came (plus the forwarded headers): none of its headers must be
    dropped. Keep-alive with no Connection header means HTTP/1.1."""
    return REQUEST_DROPPED_LINE.search(lower) is None


def request_head(
    method: bytes,
    url: bytes,
    headers: list[tuple[bytes, bytes]],
    *,
    client_ip: bytes,
    port: bytes,
    upgrade: bool,
    host: bytes | None = None,
) -> tuple[bytes, Framing]:
    """The head sent to the target, rebuilt: HTTP/1.1, keep-alive, hop-by-hop
    headers dropped, framing checked, forwarded headers added, and `host`
    as its Host when given (for an HTTP/1.0 request that had none)."""
    framing = scan_headers(headers, REQUEST_DROPPED)
    framing.check_request()
    out = [method + b" " + url + b" HTTP/1.1\r\n"]
    if host is not None:
        out.append(b"Host: " + host + CRLF)
    copy_headers(headers, out, framing, REQUEST_DROPPED)
    out.append(forwarded_headers(client_ip, port, framing.forwarded_for))
    if framing.chunked:
        out.append(b"Transfer-Encoding: chunked\r\n")
    elif framing.content_length is not None:
        out.append(b"Content-Length: %d\r\n" % framing.content_length)
    if upgrade and framing.upgrade is not None:
        out.append(b"Connection: upgrade\r\nUpgrade: " + framing.upgrade + CRLF)
    out.append(CRLF)
    return b"".join(out), framing


def error_response(status: int, *, close: bool, extra: bytes = b"") -> bytes:
    """A short plain-text answer produced by the proxy itself; `extra`:
    header lines to add, each ending in CRLF."""
    phrase = HTTPStatus(status).phrase.encode()
    body = phrase + b" (bluegreen load balancer)\n"
    connection = b"close" if close else b"keep-alive"
    return (
        b"HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Length: %d\r\nConnection: %s\r\n%s\r\n%s"
        % (status, phrase, len(body), connection, extra, body)
    )


# For a client past a listener's max_connections.
TOO_MANY_CONNECTIONS = error_response(503, close=True, extra=b"Retry-After: 1\r\n")


def chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


LAST_CHUNK = b"0\r\n\r\n"


# In a lowered response head: a hop-by-hop line other than `Connection: keep-alive`.
RESPONSE_HOP_LINE = re.compile(
    rb"\n(?:connection:(?![ \t]*keep-alive[ \t]*\r)|keep-alive:|proxy-connection:"
    rb"|t(?:e|railer|ransfer-encoding):|upgrade:)"
)


def response_passes(head: bytes) -> bool:
    """Whether a response head (with a length, to a keep-alive HTTP/1.1
    client) can go on as the target sent it: the common case, where
    rebuilding it would be most of the proxy's work. A `Connection:
    keep-alive` in it stays, as the proxy's own option: the client's
    connection is kept alive too (RFC 9110, 7.6.1)."""
    return RESPONSE_HOP_LINE.search(head.lower()) is None


class _HeadReader:
    """llhttp's callbacks for the heads read a second time, header by header."""

    def __init__(self) -> None:
        self.start_line = b""  # the URL of a request, the reason phrase of a response
        self.headers: list[tuple[bytes, bytes]] = []

    def on_url(self, url: bytes) -> None:
        self.start_line += url

    def on_status(self, reason: bytes) -> None:
        self.start_line += reason

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))


def read_response_head(head: bytes) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """Reason phrase and headers of a response head llhttp has already accepted
    once (read again by llhttp, only for the heads that have to be rebuilt)."""
    return _read_head(HttpResponseParser, head)


def read_request_head(head: bytes) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """URL and headers of a request head llhttp has already accepted once
    (read again only for the heads that have to be rebuilt)."""
    return _read_head(HttpRequestParser, head)


def _read_head(
    parser: type[HttpRequestParser | HttpResponseParser], head: bytes
) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    reader = _HeadReader()
    with contextlib.suppress(HttpParserUpgrade):
        parser(reader).feed_data(head)
    return reader.start_line, reader.headers
