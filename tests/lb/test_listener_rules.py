"""Listener rules routed on a real listener: path and host conditions, first match
by order, the default weights for what no rule matches, each rule's own shares."""

import httpx
import pytest

from bluegreen.lb.listener_rules import Rule, request_path_and_host, wildcard

from .harness import balancer, run


def test_first_matching_rule_serves_and_the_default_takes_the_rest() -> None:
    async def scenario() -> None:
        async with balancer({"blue": 100, "green": 0}) as setup:
            setup.listener.set_rules(
                [
                    Rule({"green": 1}, paths=("/api/*",), hosts=("*.example.com",)),
                    Rule({"blue": 0, "green": 1}, paths=("/v?/*",)),
                    Rule({"blue": 1}, paths=("/api/*",)),
                ]
            )
            async with httpx.AsyncClient(base_url=setup.url) as client:
                host = {"Host": "Shop.EXAMPLE.com:8080"}
                assert (await client.get("/api/x?q=1", headers=host)).text == "green"
                assert (await client.get("/api/x")).text == "blue"  # host differs: rule 3
                assert (await client.get("/v2/items")).text == "green"
                assert (await client.get("/V2/items")).text == "blue"  # paths are case-sensitive
                assert (await client.get("/other")).text == "blue"  # no rule: the default
            setup.listener.set_rules([])
            assert setup.listener.rules is None

    run(scenario())


def test_a_rule_forwards_by_its_own_weights_exactly() -> None:
    async def scenario() -> None:
        async with balancer({"blue": 100, "green": 0}) as setup:
            setup.listener.set_rules([Rule({"blue": 80, "green": 20})])
            async with httpx.AsyncClient(base_url=setup.url) as client:
                answers = [(await client.get("/")).text for _ in range(50)]
            assert answers.count("green") == 10

    run(scenario())


def test_a_rule_with_no_weight_left_answers_503() -> None:
    async def scenario() -> None:
        async with balancer({"blue": 100}) as setup:
            setup.listener.set_rules([Rule({"blue": 0}, paths=("/closed",))])
            async with httpx.AsyncClient(base_url=setup.url) as client:
                assert (await client.get("/closed")).status_code == 503
            async with httpx.AsyncClient(base_url=setup.url) as client:
                assert (await client.get("/open")).text == "blue"

    run(scenario())


def test_a_rule_naming_an_unknown_group_is_refused_and_rules_kept() -> None:
    async def scenario() -> None:
        async with balancer({"blue": 100}) as setup:
            setup.listener.set_rules([Rule({"blue": 1}, paths=("/a",))])
            with pytest.raises(ValueError, match="purple"):
                setup.listener.set_rules([Rule({"purple": 1})])
            assert setup.listener.rules is not None
            assert [r.weights for r in setup.listener.rules.rules] == [{"blue": 1}]

    run(scenario())


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"GET /a/b?c=d HTTP/1.1\r\nHost: x.org:81\r\n\r\n", ("/a/b", "x.org")),
        (b"GET http://y.org:9/p?q HTTP/1.1\r\nHost: x.org\r\n\r\n", ("/p", "y.org")),
        (b"GET /p HTTP/1.1\r\nhost: [::1]:8080\r\n\r\n", ("/p", "[::1]")),
        (b"GET * HTTP/1.1\r\n\r\n", ("*", "")),
    ],
)
def test_path_and_host_read_from_the_head(head: bytes, expected: tuple[str, str]) -> None:
    assert request_path_and_host(head) == expected


def test_wildcards_match_the_whole_value() -> None:
    assert wildcard("/img/*.png").match("/img/a/b.png")
    assert not wildcard("/img/*.png").match("/img/a.png.bak")
    assert wildcard("a?c").match("abc") and not wildcard("a?c").match("ac")
    assert wildcard("a.c").match("a.c") and not wildcard("a.c").match("abc")
