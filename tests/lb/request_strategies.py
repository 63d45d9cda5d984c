"""Hypothesis strategies for request bytes that probe the head parser and
the forwarding: mostly well-formed requests, with the parts smuggling
lives in (separators, line ends, framing headers, Host, chunk sizes)
drawn from the odd values parsers disagree on, then mutated in
http-garden's manner. Used by `test_request_fuzz.py` (a bounded run) and
`benchmarks/fuzz_requests.py` (a run of N minutes).
"""

from __future__ import annotations

import random

from hypothesis import strategies as st

from .smuggling_cases import MEANINGFUL, mutate

ODD = st.sampled_from([b"\x00", b"\x0b", b"\x0c", b"\x7f", b"\x85", b"\xa0", b"\xff", b"\r", b"\n"])
METHODS = st.sampled_from([b"GET", b"POST", b"HEAD", b"PUT", b"OPTIONS", b"DELETE", b"PATCH"])


def mostly(usual: bytes, *odd: bytes) -> st.SearchStrategy[bytes]:
    """`usual` nineteen times in twenty, else one of `odd`: a request with
    one odd part is the interesting one; with five, it is just refused."""
    return st.sampled_from([usual] * 19 * len(odd) + list(odd))


SPACE = mostly(b" ", b"  ", b"\t", b"")
EOL = mostly(b"\r\n", b"\n", b"\r", b"\r\r\n")
VERSION = st.sampled_from([b"HTTP/1.1"] * 30 + [b"HTTP/1.0"] * 5 + [b"HTTP/1.2", b"HTTP/2.0"])
NAMES = st.sampled_from(
    [b"Host", b"Content-Length", b"Transfer-Encoding", b"Connection", b"Upgrade", b"Expect",
     b"X-Forwarded-For", b"Keep-Alive", b"TE", b"Trailer", b"host", b"CONTENT-LENGTH"]
    + [b"X-A", b"Accept", b"User-Agent", b"Cookie"] * 6
)  # fmt: skip
VALUES = st.sampled_from(
    [b"a", b"0", b"3", b" 3 ", b"03", b"+3", b"-1", b"3, 3", b"0x3", b"chunked", b" chunked",
     b"chunked, identity", b"identity", b"gzip, chunked", b"close", b"keep-alive", b"Host",
     b"upgrade", b"websocket", b"100-continue", b"", b"a b", b"[::1]:80", b"a:80"]
)  # fmt: skip
TARGET = st.one_of(
    st.sampled_from([b"/", b"/a", b"/a?b=1", b"/%20", b"*", b"http://a/"]),
    st.binary(max_size=4).map(lambda b: b"/" + b.replace(b" ", b"")),
)
SEPARATOR = mostly(b": ", b":", b" : ", b":\t", b"\t:", b" :")


@st.composite
def header(draw: st.DrawFn) -> bytes:
    name = draw(NAMES)
    if draw(st.integers(0, 19)) == 0:
        name = draw(st.sampled_from([name + b"\xff", b"", b" " + name]))
    value = draw(VALUES)
    if draw(st.integers(0, 9)) == 0:
        value += draw(ODD)
    return name + draw(SEPARATOR) + value + draw(EOL)


@st.composite
def body(draw: st.DrawFn) -> tuple[bytes, bytes]:
    """Its framing header (mostly right) and a body: nothing, plain bytes,
    or chunks (with odd sizes and extensions now and then)."""
    kind = draw(st.sampled_from(["none", "none", "plain", "chunks"]))
    if kind == "none":
        return b"", b""
    if kind == "plain":
        data = draw(st.binary(max_size=12))
        length = len(data) + draw(st.sampled_from([0] * 8 + [-1, 1]))
        return b"Content-Length: %d\r\n" % length, data
    chunks = draw(st.lists(st.binary(min_size=1, max_size=6), max_size=3))
    size = st.sampled_from(["%x"] * 10 + ["%X", "0%x", "%x;ext=1", "%x ", " %x"])
    out = [(draw(size) % len(c)).encode() + b"\r\n" + c + b"\r\n" for c in chunks]
    last = draw(st.sampled_from([b"0\r\n\r\n"] * 8 + [b"0\r\nT: 1\r\n\r\n", b"0\r\n"]))
    return b"Transfer-Encoding: chunked\r\n", b"".join(out) + last


@st.composite
def request(draw: st.DrawFn) -> bytes:
    line = (
        draw(METHODS) + draw(SPACE) + draw(TARGET) + draw(SPACE) + draw(VERSION) + draw(EOL)
    )  # fmt: skip
    headers = draw(st.lists(header(), max_size=4))
    if draw(st.integers(0, 9)):
        headers.insert(0, b"Host: a\r\n")
    framing, data = draw(body())
    headers.insert(draw(st.integers(0, len(headers))), framing)
    return line + b"".join(headers) + draw(EOL) + data


@st.composite
def request_bytes(draw: st.DrawFn) -> bytes:
    """One to three requests in one write, maybe mutated a few times."""
    data = b"".join(draw(st.lists(request(), min_size=1, max_size=3)))
    rng = random.Random(draw(st.integers(0, 2**32)))
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2]))):
        data = mutate(data, rng)
    if draw(st.integers(0, 9)) == 0:
        data += draw(st.sampled_from(MEANINGFUL))
    return data
