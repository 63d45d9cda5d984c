from dataclasses import dataclass

import httpx
import pytest

from bluegreen.lb.routing import LeastOutstanding, SmoothWeightedRoundRobin

from .harness import balancer, run


def test_smooth_weighted_round_robin_is_exact_in_every_window() -> None:
    rotation = SmoothWeightedRoundRobin({"blue": 90, "green": 10})
    picks = [rotation.next() for _ in range(1000)]
    assert picks.count("blue") == 900 and picks.count("green") == 100
    for start in range(0, 1000, 100):
        assert picks[start : start + 100].count("green") == 10


def test_smooth_weighted_round_robin_interleaves_rather_than_bursts() -> None:
    rotation = SmoothWeightedRoundRobin({"a": 2, "b": 1})
    assert [rotation.next() for _ in range(6)] == ["a", "b", "a", "a", "b", "a"]


def test_zero_weights_never_win_and_all_zero_gives_none() -> None:
    rotation = SmoothWeightedRoundRobin({"blue": 0, "green": 5})
    assert {rotation.next() for _ in range(10)} == {"green"}
    assert SmoothWeightedRoundRobin({"blue": 0}).next() is None


def test_negative_weight_is_refused() -> None:
    with pytest.raises(ValueError, match="blue"):
        SmoothWeightedRoundRobin({"blue": -1})


@dataclass
class Busy:
    name: str
    in_flight: int


def test_least_outstanding_prefers_the_idle_target_and_rotates_ties() -> None:
    picker = LeastOutstanding()
    targets = [Busy("a", 3), Busy("b", 0), Busy("c", 1)]
    assert picker.pick(targets).name == "b"
    tied = [Busy("a", 0), Busy("b", 0)]
    assert {picker.pick(tied).name for _ in range(4)} == {"a", "b"}


def test_1000_requests_at_90_10_through_the_proxy_are_900_100() -> None:
    async def scenario() -> None:
        async with balancer({"blue": 90, "green": 10}) as setup:
            async with httpx.AsyncClient(base_url=setup.url) as client:
                bodies = [(await client.get("/")).text for _ in range(1000)]
            assert bodies.count("blue") == 900
            assert bodies.count("green") == 100
            assert setup.served("blue") == 900 and setup.served("green") == 100

    run(scenario())
