"""An absolute-form request target names a host of its own beside Host; the target
gets one answer to "which host": the target's authority (RFC 9112 3.2.2) as its only
Host, and the path in origin form. A real backend echoes what reached it."""

from __future__ import annotations

import json

import pytest

from .harness import balancer, exchange_raw, parse_responses, run

FORWARDED = {
    "other host": (b"http://other.example/headers", b"other.example", None),
    "with a port, upper case": (b"HTTP://Other.Example:8080/headers", b"Other.Example:8080", None),
    "https": (b"https://other.example/headers", b"other.example", b"/headers"),
}


@pytest.mark.parametrize("case", sorted(FORWARDED))
def test_an_absolute_form_target_goes_on_in_origin_form_with_its_authority_as_host(
    case: str,
) -> None:
    target, host, path = FORWARDED[case]

    async def scenario() -> None:
        async with balancer({"blue": 100}) as setup:
            request = (
                b"GET " + target + b" HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n"
            )
            (response,) = parse_responses(await exchange_raw(setup.listener.port, request))
            assert response.status == 200, response
            headers = json.loads(response.body)
            assert headers["host"] == host.decode()
            assert headers["_names"].count("Host") == 1
            (reached,) = setup.backends["blue"][0].requests
            assert reached == (b"GET", path or b"/headers")

    run(scenario())


def test_an_authority_only_target_is_the_root_path() -> None:
    async def scenario() -> None:
        async with balancer({"blue": 100}) as setup:
            request = b"GET http://other.example?q HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
            parse_responses(await exchange_raw(setup.listener.port, request))
            assert setup.backends["blue"][0].requests == [(b"GET", b"/?q")]

    run(scenario())


@pytest.mark.parametrize(
    "target", [b"http://user@other.example/", b"http:///nohost", b"http://bad host/"]
)
def test_an_absolute_form_target_without_a_valid_host_gets_400_and_reaches_no_backend(
    target: bytes,
) -> None:
    async def scenario() -> None:
        async with balancer({"blue": 100}) as setup:
            request = b"GET " + target + b" HTTP/1.1\r\nHost: a\r\n\r\n"
            answers = parse_responses(await exchange_raw(setup.listener.port, request))
            assert [r.status for r in answers] == [400]
            assert setup.backends["blue"][0].requests == []

    run(scenario())
