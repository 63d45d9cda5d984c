"""Which target group, then which target, serves the next request.

Groups are chosen by smooth weighted round robin (nginx's algorithm): the
order is deterministic and every window of `sum(weights)` requests holds
each group exactly `weight` times, so 1000 requests at 90/10 are 900/100,
and a canary's share is exact from the first request rather than on average.
Within a group the target with the fewest outstanding requests wins; ties
rotate so equal targets share the load.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Generic, Protocol, TypeVar

K = TypeVar("K", bound=Hashable)


class SmoothWeightedRoundRobin(Generic[K]):
    """Picks keys in proportion to their weights; zero weights never win."""

    __slots__ = ("_current", "_names", "_total", "_weights")

    def __init__(self, weights: Mapping[K, int]) -> None:
        for name, weight in weights.items():
            if weight < 0:
                raise ValueError(f"weight of {name!r} is {weight}; expected 0 or more")
        live = {name: w for name, w in weights.items() if w > 0}
        self._names = list(live)
        self._weights = [live[n] for n in self._names]
        self._current = [0] * len(self._names)
        self._total = sum(self._weights)

    def next(self) -> K | None:
        """The next key, or None when every weight is zero."""
        names = self._names
        if len(names) == 1:
            return names[0]
        if not names:
            return None
        current, weights = self._current, self._weights
        best = 0
        for i in range(len(names)):
            current[i] += weights[i]
            if current[i] > current[best]:
                best = i
        current[best] -= self._total
        return names[best]


class Outstanding(Protocol):
    in_flight: int


T = TypeVar("T", bound=Outstanding)


class LeastOutstanding:
    """Least outstanding requests, ties broken by rotation."""

    __slots__ = ("_turn",)

    def __init__(self) -> None:
        self._turn = 0

    def pick(self, candidates: Sequence[T]) -> T:
        count = len(candidates)
        if count == 1:
            return candidates[0]
        self._turn = start = (self._turn + 1) % count
        best = candidates[start]
        for offset in range(1, count):
            candidate = candidates[(start + offset) % count]
            if candidate.in_flight < best.in_flight:
                best = candidate
        return best
