"""From a request head llhttp has read to the `Exchange` that forwards it.

Every head is checked first, for what llhttp lets through and another
parser could read differently: the request line (one space each side of
the target), and Host (exactly one for HTTP/1.1, RFC 9112 3.2). Then most
heads go on as they came, with the forwarded headers added: rebuilding a
head costs more than the rest of a request. Only a head with a header to
drop (hop-by-hop, or forwarded ones a client may not set), HTTP/1.0, a
CONNECT, or an absolute-form target is read again header by header and
rebuilt as HTTP/1.1.

An absolute-form target (`GET http://other/ HTTP/1.1`) names its host twice,
in the target and in Host, and targets disagree on which wins. RFC 9112
3.2.2 says the target's authority does; so the request goes on in origin
form (`GET / HTTP/1.1`) with that authority as its only Host: one answer to
"which host", whoever reads it. (Refusing it with 400 would break clients
that talk to the load balancer as to a forward proxy, which the RFC allows.)

A head that can't go raises `BadRequest`; the client connection answers it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .exchange import Exchange
from .http_heads import (
    BadRequest,
    check_request_head,
    origin_form,
    read_request_head,
    request_head,
    request_passes,
)

SLASH = ord("/")

if TYPE_CHECKING:
    from httptools import HttpRequestParser

    from .proxy import ClientConnection


def exchange_for(client: ClientConnection, parser: HttpRequestParser, raw: bytes) -> Exchange:
    """The exchange for the head `raw` (its blank line included) just read by `parser`,
    its target group chosen by the listener's rules when it has any."""
    exchange = _exchange(client, parser, raw)
    rules = client.listener.rules
    if rules is not None:
        choose = rules.match(raw) or client.listener.choose_group
        exchange.group = choose()
        if exchange.group is None:
            raise BadRequest(503, "the listener rule that matched forwards to no target group")
    return exchange


def _exchange(client: ClientConnection, parser: HttpRequestParser, raw: bytes) -> Exchange:
    method = parser.get_method()
    lower = raw.lower()
    no_host = check_request_head(raw, lower)
    if (
        not no_host
        and raw[len(method) + 1] == SLASH  # origin form, not absolute (nor `*`)
        and parser.should_keep_alive()
        and method != b"CONNECT"
        and (request_passes(lower))
    ):
        return Exchange(client, method, raw[:-2] + client.forwarded)
    return _rebuilt(client, parser, method, raw, no_host)


def _rebuilt(
    client: ClientConnection, parser: HttpRequestParser, method: bytes, raw: bytes, no_host: bool
) -> Exchange:
    """The exchange for a head that can't go as it came: its hop-by-hop
    headers dropped, its framing checked, its version made HTTP/1.1 (so an
    HTTP/1.0 request without Host is given the address it was sent to, as
    ALB and nginx give one)."""
    settings = client.settings
    upgrade = parser.should_upgrade()
    if method == b"CONNECT" and not settings.allow_connect:
        raise BadRequest(405, "CONNECT (ProxySettings.allow_connect is off)")
    url, headers = read_request_head(raw)
    if len(headers) > settings.max_headers:
        raise BadRequest(400, "more headers than max_headers")
    host = own_address(client) if no_host else None
    if method != b"CONNECT" and url[:8].lower().startswith((b"http://", b"https://")):
        host, url = origin_form(url)
        headers = [(name, value) for name, value in headers if name.lower() != b"host"]
    head, framing = request_head(
        method, url, headers, client_ip=client.client_ip, port=client.port, upgrade=upgrade,
        host=host,
    )  # fmt: skip
    if upgrade and (framing.chunked or framing.content_length):
        # llhttp ends an upgrade request at its head; a target that refuses
        # the upgrade would read a body by its length: two framings.
        raise BadRequest(400, "an upgrade request with a body")
    if settings.max_body is not None and (framing.content_length or 0) > settings.max_body:
        raise BadRequest(413, "body above max_body")
    return Exchange(
        client, method, head,
        chunked=framing.chunked, upgrade=upgrade,
        keep_alive=parser.should_keep_alive(), http10=parser.get_http_version() == "1.0",
    )  # fmt: skip


def own_address(client: ClientConnection) -> bytes:
    """host:port the client connected to."""
    assert client.transport is not None
    host, port = client.transport.get_extra_info("sockname")[:2]
    return f"[{host}]:{port}".encode() if ":" in host else f"{host}:{port}".encode()
