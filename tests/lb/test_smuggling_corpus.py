"""The smuggling corpus as a suite: a few hundred cases from http-garden's
trophies, smuggler's mutation list and our own (`smuggling_cases`), each
checked for the property in `request_check`: refused with nothing reaching
the target, or forwarded as exactly what the proxy read, with every client
answered its own. The full corpus (about 25,000 cases) runs from
`benchmarks/smuggling_corpus.py`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .request_check import Rig, Seen, compare
from .smuggling_cases import representative

CASES = dict(representative())


@pytest.fixture(scope="module")
def rig() -> Iterator[Rig]:
    with Rig() as rig:
        yield rig


@pytest.mark.parametrize("name", list(CASES))
def test_a_corpus_case_is_refused_or_forwarded_as_read(rig: Rig, name: str) -> None:
    assert rig.check(CASES[name]) == []


def forwarded(rig: Rig, data: bytes) -> int:
    """How many requests of `data` reached the target (the property holding)."""
    before = len(rig.target.records)
    assert rig.check(data) == []
    return len(rig.target.records) - before - 1  # the barrier's is the last


def test_the_corpus_has_a_few_hundred_cases_forwarded_and_refused(rig: Rig) -> None:
    assert len(CASES) >= 300
    assert forwarded(rig, CASES["pipelined_three"]) == 3
    assert forwarded(rig, CASES["valid_then_garbage"]) == 1
    assert forwarded(rig, CASES["smuggler_clte_nameprefix1"]) == 0


GET = Seen.of(b"GET", b"/", [(b"Host", b"a")], b"")
OTHER = Seen.of(b"GET", b"/other", [(b"Host", b"a")], b"")


def answer(*seen: Seen) -> bytes:
    return b"".join(
        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Seen: %s\r\n\r\n" % s.digest for s in seen
    )


def test_the_check_finds_a_request_the_proxy_did_not_read() -> None:
    assert compare([GET], [GET, OTHER], answer(GET), cut=False) != []


def test_the_check_finds_an_answer_to_another_request() -> None:
    assert compare([GET], [GET], answer(OTHER), cut=False) != []


def test_the_check_finds_a_request_forwarded_other_than_it_was_read() -> None:
    assert compare([GET], [OTHER], answer(OTHER), cut=False) != []


def test_the_check_passes_a_faithful_forward_and_a_refusal() -> None:
    refusal = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"
    assert compare([GET, OTHER], [GET], answer(GET) + refusal, cut=False) == []
