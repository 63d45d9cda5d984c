"""A bounded fuzzing run over request heads and forwarding: hypothesis
draws request bytes (`request_strategies`) and each must keep the property
of `request_check`. `benchmarks/fuzz_requests.py` runs the same for N
minutes.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings

from .request_check import Rig
from .request_strategies import request_bytes


@pytest.fixture(scope="module")
def rig() -> Iterator[Rig]:
    with Rig() as rig:
        yield rig


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=request_bytes())
def test_fuzzed_requests_are_refused_or_forwarded_as_read(rig: Rig, data: bytes) -> None:
    assert rig.check(data) == []
