"""The request-smuggling corpus: the bytes of requests known to split parsers.

The bytes are facts gathered from public corpora and written down here
with our own generator:

- http-garden (github.com/narfindustries/http-garden), TROPHIES.md: the
  payload of each bug it found in HTTP servers and proxies (`GARDEN`).
- smuggler (github.com/defparam/smuggler), configs/default.py,
  exhaustive.py and doubles.py: ways of writing `Transfer-Encoding:
  chunked` that some parser still takes for it, each sent as a CL.TE and
  a TE.CL probe (`te_gadgets`, `probes`).
- our own cases: Host, the request line, pipelining, whitespace (`OURS`).

`representative()` is the few hundred that `make test` runs;
`full_corpus()` adds every byte smuggler tries and seeded mutations in
http-garden's manner (`mutations`), for `benchmarks/smuggling_corpus.py`.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

Case = tuple[str, bytes]

GARDEN: list[Case] = [
    # The Python `int` constructor is used to parse chunk-sizes, so `0x`, `_`, `+`, and `-` are
    (
        "garden_server_1",
        b"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0_2e\r\n\r\n"
        b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
    ),
    # `\x00`, `\r`, or `\n` are incorrectly permitted in header values.
    ("garden_server_2", b"GET / HTTP/1.1\r\nHost: a\r\nHeader: v\x00\ralue\r\n\r\n"),
    # Whitespace is incorrectly stripped from the ends of header names.
    (
        "garden_server_3",
        b"GET / HTTP/1.1\r\nHost: whatever\r\nContent-Length : 34\r\n\r\nGET / HTTP/1.1\r\n"
        b"Host: whatever\r\n\r\n",
    ),
    # Whitespace is incorrectly stripped from the beginning of the first header name.
    ("garden_server_4", b"GET / HTTP/1.1\r\n\tContent-Length: 1\r\n\r\nX"),
    # HTTP versions are interpreted as their longest valid prefix.
    ("garden_server_5", b"GET /test HTTP/1.32\r\n\r\n"),
    # HTTP methods are interpreted as their longest valid prefix.
    ("garden_server_6", b'G=":<>(e),[T];?" /get HTTP/1.1\r\n\r\n'),
    # URIs are not validated whatsoever.
    ("garden_server_7", b"GET ! HTTP/1.1\r\n\r\n"),
    # Some non-ASCII bytes are incorrectly permitted in header names.
    ("garden_server_8", b"GET / HTTP/1.1\r\n\xefoo: bar\r\n\r\n"),
    # `\n` is allowed as separating whitespace in a request line.
    ("garden_server_9", b"GET /\nHTTP/1.1\r\n\r\n"),
    # The Python `int` constructor is used to parse `Content-Length` values, so `_`, `+`, and `-
    ("garden_server_10", b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: +1_0\r\n\r\n0123456789"),
    # Requests containing multiple `Transfer-Encoding: chunked` headers are accepted and treated
    (
        "garden_server_11",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"
        b"\r\n1\r\nZ\r\n0\r\n\r\n",
    ),
    # `\xa0` and `\x85` are stripped from the beginnings and ends of header values.
    (
        "garden_server_12",
        b"POST / HTTP/1.1\r\nHost: whatever\r\nTransfer-Encoding: \xa0chunked\xa0\r\n\r\n0\r\n\r\n",
    ),
    # `\r` is treated as a line terminator in header field lines.
    ("garden_server_13", b"GET / HTTP/1.1\r\nVisible: :/\rSmuggled: :)\r\n\r\n"),
    # Disallowed ASCII characters are incorrectly permitted in header names.
    (
        "garden_server_14",
        b"GET / HTTP/1.1\r\n"
        b"\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\x0b\x0c\x0e\x0f\x10\x11\x12\x13\x14\x15"
        b'\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f "(),/;<=>?@[/]{}: whatever\r\n\r\n',
    ),
    # HTTP versions are not validated.
    ("garden_server_15", b"GET / HTTP/\r\r1.1\r\n\r\n"),
    # Empty `Content-Length` values are treated as though they were `0`.
    ("garden_server_16", b"GET / HTTP/1.1\r\nHost: whatever\r\nContent-Length: \r\n\r\n"),
    # Empty chunk-sizes are treated as though they were `0`.
    (
        "garden_server_17",
        b"GET / HTTP/1.1\r\nHost: whatever\r\nTransfer-Encoding: chunked\r\n\r\n\r\n\r\n",
    ),
    # Empty header names are erroneously accepted.
    ("garden_server_18", b"GET / HTTP/1.1\r\n: ignored\r\nHost: whatever\r\n\r\n"),
    # All non-`\r\n` whitespace sequences are stripped from the beginnings of header values (aft
    ("garden_server_19", b"GET / HTTP/1.1\r\nHost: a\r\nUseless:\n\nGET / HTTP/1.1\r\n\r\n"),
    # `\xa0` and `\x85` bytes are stripped from the ends of header names, before the `:`.
    ("garden_server_20", b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length\x85: 10\r\n\r\n0123456789"),
    # `,chunked` is treated as an encoding distinct from `chunked`.
    (
        "garden_server_21",
        b"GET / HTTP/1.1\r\nHost: whatever\r\nTransfer-Encoding: ,chunked\r\n"
        b"Content-Length: 5\r\n\r\n0\r\n\r\n",
    ),
    # Requests with multiple conflicting `Content-Length` headers are accepted, prioritizing the
    (
        "garden_server_23",
        b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 0\r\n\r\nZ",
    ),
    # 8-bit integer overflow in HTTP version numbers.
    ("garden_server_24", b"GET / HTTP/4294967295.255\r\n\r\n"),
    # Chunk-sizes are parsed using `strtoll(,,16)`, so `0x`, `+`, and `-` prefixes are erroneous
    ("garden_server_25", b"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"),
    # Negative `Content-Length` headers can be used to force the server into an infinite busy lo
    ("garden_server_26", b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -48\r\n\r\n"),
    # The HTTP header block is truncated upon receipt of a header with no name or value.
    ("garden_server_27", b"GET / HTTP/1.1\r\n:\r\nI: am chopped off\r\n\r\n"),
    # Header names can be separated from values on space alone; no `:` required.
    ("garden_server_28", b"GET / HTTP/1.1\r\nContent-Length 10\r\n\r\n0123456789"),
    # Invalid `Content-Length` headers are interpreted as equivalent to their longest valid pref
    ("garden_server_29", b"GET / HTTP/1.1\r\nContent-Length: 1Z\r\n\r\nZ"),
    # The header block can be incorrectly terminated on `\r\n\rX`, where `X` can be any byte.
    ("garden_server_30", b"GET / HTTP/1.1\r\nHost: a\r\n\rZGET /evil: HTTP/1.1\r\nHost: a\r\n\r\n"),
    # Chunk lines are incorrectly terminated on `\rX`, where `X` can be any byte.
    (
        "garden_server_31",
        b"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\r;ABCD\r\n"
        b"34\r\nE\r\n0\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n0\r\n"
        b"\r\n",
    ),
    # `Content-Length` headers are interpreted with `strtoll(,,0)`, so leading `0`, `+`, `-`, an
    (
        "garden_server_32",
        b"GET / HTTP/1.1\r\nHost: whatever\r\nContent-Length: 010\r\n\r\n01234567",
    ),
    # Requests with multiple conflicting `Content-Length` headers are accepted, prioritizing the
    (
        "garden_server_33",
        b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nContent-Length: 1\r\n\r\nZ",
    ),
    # `\r` is permitted in header values.
    ("garden_server_34", b"GET / HTTP/1.1\r\nHost: whatever\r\nHeader: va\rlue\r\n\r\n"),
    # Header values are truncated at `\x00`.
    (
        "garden_server_35",
        b"GET / HTTP/1.1\r\nHost: whatever\r\nTest: test\x00THESE BYTES GET DROPPED\r\n"
        b"Connection: close\r\n\r\n",
    ),
    # Carriage returns are forwarded within the optional whitespace following the semicolon in a
    (
        "garden_server_36",
        b"POST /abc HTTP/1.1\r\nTransfer-Encoding: chunked\r\nHost: h2o.http-garden.us\r\n"
        b"\r\n"
        b"41;a=b\r\rXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX\r\n"
        b"0\r\n\r\nGET /bad_path/pwned HTTP/1.1\r\nHost: a\r\nContent-Length: 412\r\n\r\n"
        b"0\r\n\r\nGET /def HTTP/1.1\r\nHost: h2o.http-garden.us\r\n\r\n",
    ),
    # Header names can be continued across lines.
    (
        "garden_server_37",
        b"POST / HTTP/1.1\r\nHost: whatever\r\nTransfer-\r\nEncoding: chunked\r\n"
        b"Content-Length: 5\r\n\r\n0\r\n\r\n",
    ),
    # Empty `Content-Length` in requests are interpreted as ``read until timeout occurs."
    (
        "garden_server_38",
        b"GET / HTTP/1.1\r\nHost: localhost\r\nContent-Length: \r\n\r\nGET / HTTP/1.1\r\n"
        b"Host: localhost\r\n\r\n",
    ),
    # Chunked message bodies are terminated on `\r\nXX`, where `XX` can be any two bytes.
    (
        "garden_server_39",
        b"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX:POST / HTTP/1.1\r\n\r\n",
    ),
    # HTTP methods and versions are not validated.
    ("garden_server_40", b"\x00 / HTTP/............0596.7407.\r\n\r\n"),
    # `\xa0` and `\x85` are stripped from the beginnings and ends of header values, except for t
    ("garden_server_41", b"GET /login HTTP/1.1\r\nHost: a\r\nUser: \x85admin\xa0\r\n\r\n"),
    # Empty `Content-Length` values are interpreted as equivalent to `0`, and prioritized over a
    (
        "garden_server_42",
        b"GET / HTTP/1.1\r\nContent-Length: \r\nContent-Length: 43\r\n\r\n"
        b"POST /evil HTTP/1.1\r\nContent-Length: 18\r\n\r\nGET / HTTP/1.1\r\n\r\n",
    ),
    # `\x00` is stripped from the ends of header values.
    ("garden_server_43", b"GET / HTTP/1.1\r\nEvil: evil\x00\r\n\r\n"),
    # All unknown transfer codings are treated as equivalent to `chunked`.
    (
        "garden_server_44",
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: blegh\r\n\r\n1\r\nZ\r\n0\r\n\r\n",
    ),
    # Connections are closed prematurely when an invalid request is pipelined after a valid requ
    ("garden_server_45", b"GET / HTTP/1.1\r\nConnection: close\r\n\r\nInvalid\r\n\r\n"),
    # Bytes greater than `\x80` are stripped from the beginnings and ends of header values.
    (
        "garden_server_46",
        b"POST / HTTP/1.1\r\nHost: \xffa\xff\r\nTransfer-Encoding: \xffchunked\xff\r\n\r\n"
        b"1\r\nZ\r\n0\r\n\r\n",
    ),
    # When an invalid chunk is received, the connection isn't closed, and the start of the next
    (
        "garden_server_47",
        b"POST / HTTP/1.1\r\nHost: whatever\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"INVALID!!!\r\nGET / HTTP/1.1\r\nHost: whatever\r\n\r\n",
    ),
    # Pipelined requests in the initial request buffer are interpreted as the message body of th
    (
        "garden_server_48",
        b"POST / HTTP/1.1\r\nContent-Length: 0\r\nConnection:keep-alive\r\nHost: a\r\n"
        b"id: 0\r\n\r\nPOST / HTTP/1.1\r\nHost: a\r\nid: 1\r\nContent-Length: 34\r\n\r\n"
        b"GET / HTTP/1.1\r\nHost: a\r\nid: 2\r\n\r\n",
    ),
    # `0x`-prefixed `Content-Length` values are incorrectly accepted and forwarded, without vali
    (
        "garden_server_1_2",
        b"POST / HTTP/1.1\r\nHost: akamai.my-domain.cool\r\nContent-Length: 0x10\r\n\r\nZ",
    ),
    # Invalid chunk-size values are incorrectly accepted and forwarded.
    (
        "garden_server_2_2",
        b"POST / HTTP/1.1\r\nHost: akamai.my-domain.cool\r\nTransfer-Encoding: chunked\r\n"
        b"\r\nZ\r\nZZ\r\nZZZ\r\n\r\n",
    ),
    # `\r` is incorrectly permitted in chunk-ext whitespace before the `;`.
    (
        "garden_server_3_2",
        b"POST / HTTP/1.1\r\nHost: server.my-domain.cool\r\nTransfer-Encoding: chunked\r\n"
        b"\r\n2\r\r;a\r\n02\r\n41\r\n0\r\n\r\nGET /bad_path/pwned HTTP/1.1\r\nHost: a\r\n"
        b"Content-Length: 430\r\n\r\n0\r\n\r\nGET / HTTP/1.1\r\n"
        b"Host: server.my-domain.cool\r\n\r\n",
    ),
    # Messages containing invalid chunks are forwarded without their message bodies.
    ("garden_server_4_2", b"POST /  HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r0\n"),
    # Empty `Content-Length` headers are incorrectly forwarded.
    ("garden_server_5_2", b"GET / HTTP/1.1\r\nhost: whatever\r\ncontent-length: \r\n\r\n"),
    # Disallowed bytes are accepted and forwarded within header names.
    ("garden_server_6_2", b"GET / HTTP/1.1\r\nHost: fanout\r\nHeader\x85: value\r\n\r\n"),
    # Chunk-sizes are interpreted as their longest valid prefix, and re-emitted.
    (
        "garden_server_7_2",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"1these-bytes-never-get-validated\r\nZ\r\n0\r\n\r\n",
    ),
    # `Transfer-Encoding: ,chunked` headers are forwarded intact, and interpreted as equivalent
    (
        "garden_server_9_2",
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ,chunked\r\n\r\n0\r\n\r\n",
    ),
    # `\r` is incorrectly forwarded in header values.
    ("garden_server_10_2", b"GET / HTTP/1.1\r\nInvalid-Header: this\rvalue\ris\rinvalid\r\n\r\n"),
    # Empty `Content-Length` headers are incorrectly forwarded, even in the presence of other `C
    (
        "garden_server_11_2",
        b"GET / HTTP/1.1\r\nhost: whatever\r\ncontent-length: \r\ncontent-length: 59\r\n"
        b"\r\nPOST /evil HTTP/1.1\r\nhost: whatever\r\ncontent-length: 34\r\n\r\n"
        b"GET / HTTP/1.1\r\nhost: whatever\r\n\r\n",
    ),
    # `\x00` is forwarded in header values.
    ("garden_server_12_2", b"GET / HTTP/1.1\r\nHost: google.com\x00.kallus.org\r\n\r\n"),
    # Bare `\n` is accepted as a chunk line terminator.
    (
        "garden_server_13_2",
        b"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\na\r\n0123456789\n0\r\n\r\n",
    ),
    # Field lines with no `:` are forwarded as-is.
    (
        "garden_server_14_2",
        b"GET / HTTP/1.1\r\nHost: whatever\r\nTe\nst: test\r\nConnection: close\r\n\r\n",
    ),
    # Requests containing both `Content-Length` and `Transfer-Encoding` headers are forwarded as
    (
        "garden_server_15_2",
        b"GET / HTTP/1.1\r\nHost: whatever\r\nTransfer-Encoding: ,chunked\r\n"
        b"Content-Length: 5\r\nConnection: close\r\n\r\n0r\n\r\n",
    ),
    # `\n` is not normalized to `\r\n` in forwarded messages.
    ("garden_server_16_2", b"GET / HTTP/1.1\nHost: whatever\nConnection: close\n\n"),
    # Chunked message bodies containing an extra `\r\n` before the terminator chunk are un-chunk
    (
        "garden_server_17_2",
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n17\r\n0\r\n\r\n"
        b"GET / HTTP/1.1\r\n\r\n\r\n\r\n0\r\n\r\n",
    ),
    # Chunk-sizes with `+`, `-`, and `0x` prefixes are interpreted and forwarded.
    ("garden_server_19_2", b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n-0x0\r\n\r\n"),
    # Headers containing `\x00` or `\n` are concatenated into the previous header's value.
    ("garden_server_20_2", b"GET / HTTP/1.1\r\na:b\r\nc\x00\r\n\r\n"),
    # Message bodies are stripped from `GET` requests without removing their `Content-Length` he
    ("garden_server_21_2", b"GET / HTTP/1.1\r\nContent-Length: 10\r\n\r\n1234567890"),
    # Requests containing multiple `Content-Length` headers are forwarded, prioritizing the last
    (
        "garden_server_22",
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nContent-Length: 31\r\n\r\n"
        b"GET /evil HTTP/1.1\r\nHost: a\r\n\r\n",
    ),
    # Requests containing both `Content-Length` and `Transfer-Encoding` are forwarded.
    (
        "garden_server_23_2",
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n"
        b"\r\n0\r\n\r\n",
    ),
    # Whitespace-prefixed chunk-sizes are accepted and forwarded.
    (
        "garden_server_24_2",
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n           0\r\n\r\n",
    ),
    # Requests containing multiple `Transfer-Encoding: chunked` headers are forwarded, and treat
    (
        "garden_server_25_2",
        b"POST / HTTP/1.1\r\nHost: whatever\r\nTransfer-Encoding: chunked\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    ),
    # Sending an extra byte after a request with a chunked message body crashes the server with
    (
        "garden_server_3_3",
        b"GET / HTTP/1.1\r\nHost: whatever\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n\x00",
    ),
    # Incoming chunked request bodies are echoed back before the response is sent.
    (
        "garden_server_4_3",
        b"POST / HTTP/1.1\r\nHost: whatever\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nZ\r\n"
        b"0\r\n\r\n",
    ),
    # Whitespace characters are not stripped from field values during HTTP/2 to HTTP/1.1 downgra
    (
        "garden_server_1_3",
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
        b"\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00E\x01\x05\x00\x00\x00\x01\x00\n:autho"
        b"rity\tlocalhost\x00\x05:path\x01/\x00\x07:method\x03GET\x00\x07:scheme\x04http"
        b"\x00\x05test1\x03\ta\t",
    ),
    # Empty header names are preserved across HTTP/2 to HTTP/1.1 translation, leading to the pro
    (
        "garden_server_2_3",
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
        b"\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00=\x01\x05\x00\x00\x00\x01\x00\n:autho"
        b"rity\tlocalhost\x00\x05:path\x01/\x00\x07:method\x03GET\x00\x07:scheme\x04http"
        b"\x00\x00\x00",
    ),
]

OURS: list[Case] = [
    ("two_hosts", b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
    ("no_host", b"GET / HTTP/1.1\r\n\r\n"),
    ("http10_no_host", b"GET / HTTP/1.0\r\n\r\n"),
    (
        "http10_keep_alive",
        b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /2 HTTP/1.0\r\n\r\n",
    ),
    ("connection_host", b"GET / HTTP/1.1\r\nHost: a\r\nConnection: host\r\n\r\n"),
    (
        "connection_strips_auth",
        b"GET / HTTP/1.1\r\nHost: a\r\nConnection: Authorization\r\nAuthorization: x\r\n\r\n",
    ),
    ("two_spaces", b"GET  / HTTP/1.1\r\nHost: a\r\n\r\n"),
    ("space_in_target", b"GET /a b HTTP/1.1\r\nHost: a\r\n\r\n"),
    ("absolute_form", b"GET http://evil/x HTTP/1.1\r\nHost: a\r\n\r\n"),
    ("asterisk_form", b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"),
    ("cl_ows", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3 \r\n\r\nabc"),
    ("cl_leading_zeros", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 003\r\n\r\nabc"),
    ("cl_comma_list", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\nabc"),
    ("valid_then_garbage", b"GET / HTTP/1.1\r\nHost: a\r\n\r\n\x01\x02garbage\r\n\r\n"),
    (
        "pipelined_three",
        b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.1\r\nHost: a\r\n"
        b"Content-Length: 2\r\n\r\nabGET /3 HTTP/1.1\r\nHost: a\r\n\r\n",
    ),
    (
        "chunked_then_pipelined",
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3\r\nabc\r\n0\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n",
    ),
    (
        "chunk_extension",
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        b'3;name="v"\r\nabc\r\n0\r\n\r\n',
    ),
    (
        "trailer_fields",
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3\r\nabc\r\n0\r\nX-Trailer: 1\r\n\r\n",
    ),
    (
        "te_chunked_twice_one_line",
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n",
    ),
    (
        "te_identity",
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n"
        b"Content-Length: 3\r\n\r\nabc",
    ),
    (
        "upgrade_then_request",
        b"GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\n"
        b"Upgrade: websocket\r\n\r\nGET /secret HTTP/1.1\r\nHost: a\r\n\r\n",
    ),
    (
        "h2c_upgrade",
        b"GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\n"
        b"Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n",
    ),
    ("connect", b"CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\nGET /inside HTTP/1.1\r\n\r\n"),
    (
        "expect_continue",
        b"POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
    ),
    ("head_then_get", b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n"),
    ("get_with_body", b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nGET /"),
    ("x_forwarded_for_spoofed", b"GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n"),
    ("leading_empty_lines", b"\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"),
    ("header_without_value", b"GET / HTTP/1.1\r\nHost: a\r\nX-Empty:\r\n\r\n"),
    ("obs_text_value", b"GET / HTTP/1.1\r\nHost: a\r\nX-Latin: caf\xe9\r\n\r\n"),
]

# smuggler's named ways of writing the header (configs/default.py, exhaustive.py).
NAMED_TE_GADGETS: list[tuple[str, bytes]] = [
    ("nameprefix1", b" Transfer-Encoding: chunked"),
    ("tabprefix1", b"Transfer-Encoding:\tchunked"),
    ("tabprefix2", b"Transfer-Encoding\t:\tchunked"),
    ("space1", b"Transfer-Encoding : chunked"),
    ("spacejoin1", b"Transfer Encoding: chunked"),
    ("underjoin1", b"Transfer_Encoding: chunked"),
    ("smashed", b"Transfer Encoding:chunked"),
    ("valueprefix1", b"Transfer-Encoding:  chunked"),
    ("vertprefix1", b"Transfer-Encoding:\x0bchunked"),
    ("commaCow", b"Transfer-Encoding: chunked, cow"),
    ("cowComma", b"Transfer-Encoding: cow, chunked"),
    ("contentEnc", b"Content-Encoding: chunked"),
    ("linewrapped1", b"Transfer-Encoding:\n chunked"),
    ("quoted", b'Transfer-Encoding: "chunked"'),
    ("aposed", b"Transfer-Encoding: 'chunked'"),
    ("lazygrep", b"Transfer-Encoding: chunk"),
    ("sarcasm", b"TrAnSFer-EnCODinG: cHuNkeD"),
    ("yelling", b"TRANSFER-ENCODING: CHUNKED"),
    ("0dsuffix", b"Transfer-Encoding: chunked\r"),
    ("tabsuffix", b"Transfer-Encoding: chunked\t"),
    ("revdualchunk", b"Transfer-Encoding: cow\r\nTransfer-Encoding: chunked"),
    ("0dspam", b"Transfer\r-Encoding: chunked"),
    ("nested", b"Transfer-Encoding: cow chunked bar"),
    ("spaceFF", b"Transfer-Encoding:\xffchunked"),
    ("accentCH", b"Transfer-Encoding: ch\x96nked"),
    ("accentTE", b"Transf\x82r-Encoding: chunked"),
    ("x-rout", b"X:X\rTransfer-Encoding: chunked"),
    ("x-nout", b"X:X\nTransfer-Encoding: chunked"),
]

# Where smuggler puts one odd byte `%c` (configs/default.py, exhaustive.py).
TE_BYTE_PLACES: dict[str, bytes] = {
    "midspace": b"Transfer-Encoding:%cchunked",
    "postspace": b"Transfer-Encoding%c: chunked",
    "prespace": b"%cTransfer-Encoding: chunked",
    "endspace": b"Transfer-Encoding: chunked%c",
    "xprespace": b"X: X%cTransfer-Encoding: chunked",
    "endspacex": b"Transfer-Encoding: chunked%cX: X",
    "rxprespace": b"X: X\r%cTransfer-Encoding: chunked",
    "xnprespace": b"X: X%c\nTransfer-Encoding: chunked",
    "endspacerx": b"Transfer-Encoding: chunked\r%cX: X",
    "endspacexn": b"Transfer-Encoding: chunked%c\nX: X",
}
# The same byte twice (configs/doubles.py): before the name, after it, after
# the colon, after the value; `X` marks a place left empty.
TE_DOUBLE_PLACES: dict[str, bytes] = {
    "b-b-X-X": b"%cTransfer-Encoding%c: chunked",
    "b-X-b-X": b"%cTransfer-Encoding:%cchunked",
    "b-X-X-b": b"%cTransfer-Encoding: chunked%c",
    "X-b-b-X": b"Transfer-Encoding%c:%cchunked",
    "X-b-X-b": b"Transfer-Encoding%c: chunked%c",
    "X-X-b-b": b"Transfer-Encoding:%cchunked%c",
}
DEFAULT_BYTES = (0x01, 0x04, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1F, 0x20, 0x7F, 0xA0, 0xFF)
ALL_BYTES = (*range(0x01, 0x21), *range(0x7F, 0x100))


def te_gadgets(byte_values: tuple[int, ...], doubles: bool) -> Iterator[tuple[str, bytes]]:
    yield from NAMED_TE_GADGETS
    for place, template in TE_BYTE_PLACES.items():
        for value in byte_values:
            yield f"{place}-{value:02x}", template % value
    if doubles:
        for place, template in TE_DOUBLE_PLACES.items():
            for value in byte_values:
                yield f"{place.replace('b', f'{value:02x}')}", template % (value, value)


def probes(gadget: bytes) -> Iterator[tuple[str, bytes]]:
    """smuggler's two probes around one gadget, each followed by a request of
    our own: a desync would make the target read part of the body, or the
    next request, as something else."""
    head = (
        b"POST /probe HTTP/1.1\r\n" + gadget + b"\r\nHost: a\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n"
    )
    follow = b"GET /next HTTP/1.1\r\nHost: a\r\n\r\n"
    # CL.TE: a front end going by the length stops short of the last chunk.
    yield "clte", head % 4 + b"1\r\nZ\r\n0\r\n\r\n" + follow
    # TE.CL: a front end going by the chunks leaves an "X" behind.
    yield "tecl", head % 6 + b"0\r\n\r\nX" + follow


def smuggler_cases(byte_values: tuple[int, ...], doubles: bool) -> Iterator[Case]:
    for name, gadget in te_gadgets(byte_values, doubles):
        for kind, data in probes(gadget):
            yield f"smuggler_{kind}_{name}", data


def with_host(cases: list[Case]) -> Iterator[Case]:
    """Each case whose first request has no Host, given one: many trophies
    have none, and would be refused for that before their framing is read."""
    for name, data in cases:
        line = data.find(b"\r\n")
        if line >= 0 and b"\nhost:" not in data[: data.find(b"\r\n\r\n") + 1].lower():
            yield f"{name}+host", data[: line + 2] + b"Host: a\r\n" + data[line + 2 :]


def representative() -> list[Case]:
    """The few hundred `make test` runs: every trophy (with a Host where it
    had none, too), our own cases, and smuggler's default set."""
    return [
        *GARDEN, *with_host(GARDEN), *OURS, *smuggler_cases(DEFAULT_BYTES, doubles=False)
    ]  # fmt: skip


def full_corpus(mutated: int = 20000, seed: int = 15) -> Iterator[Case]:
    """Everything: smuggler's every byte in every place, once and twice, and
    `mutated` seeded mutations of the other cases."""
    yield from GARDEN
    yield from with_host(GARDEN)
    yield from OURS
    yield from smuggler_cases(ALL_BYTES, doubles=True)
    yield from mutations(representative(), mutated, random.Random(seed))


# What http-garden's mutator inserts: bytes that mean something in a head.
MEANINGFUL = (b"\r\n", b"\r", b"\n", b"\x00", b":", b"\t", b" ", b",", b";")
SEED_HEADERS = (
    b"Content-Length: 0\r\n", b"Content-Length: 5\r\n", b"Transfer-Encoding: chunked\r\n",
    b"Transfer-Encoding: identity\r\n", b"Host: other\r\n", b"Connection: close\r\n",
    b"Connection: keep-alive\r\n", b"Test:\r\n", b": empty-name\r\n",
)  # fmt: skip


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One mutation of the kinds http-garden's mutator applies."""
    at = rng.randint(0, len(data))
    kind = rng.randrange(7)
    if kind == 0:
        return data[:at] + data[at + 1 :]
    if kind == 1:
        return data[:at] + bytes([rng.randrange(256)]) + data[at + 1 :]
    if kind == 2:
        return data[:at] + rng.choice(MEANINGFUL) + data[at:]
    if kind == 3:
        return data[:at] + bytes([rng.randrange(256)]) + data[at:]
    line = data.find(b"\r\n", at)
    if kind == 4 and line >= 0:  # a header where a line ends
        return data[: line + 2] + rng.choice(SEED_HEADERS) + data[line + 2 :]
    if kind == 5 and line >= 0:  # a line dropped
        end = data.find(b"\r\n", line + 2)
        return data[: line + 2] + (data[end + 2 :] if end >= 0 else b"")
    return data + data[: rng.randint(0, len(data))]  # pipelined: a copy, maybe cut


def mutations(seeds: list[Case], count: int, rng: random.Random) -> Iterator[Case]:
    for n in range(count):
        name, data = rng.choice(seeds)
        for _ in range(rng.randint(1, 4)):
            data = mutate(data, rng)
        yield f"mutated_{n}_{name}", data
