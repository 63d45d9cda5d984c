"""A listener: one port whose action forwards to target groups by weight.

Weights are replaced as a whole (`set_weights`), so a request sees either
the old split or the new one, never a mix, and the next request already
uses the new one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

from .routing import SmoothWeightedRoundRobin
from .target_group import TargetGroup

if TYPE_CHECKING:
    from .proxy import ClientConnection


class Listener:
    def __init__(self, name: str, groups: Mapping[str, TargetGroup]) -> None:
        self.name = name
        self.port = 0
        self.weights: Mapping[str, int] = MappingProxyType({})
        self.connections: set[ClientConnection] = set()
        self._groups = groups
        # The group for the next request: the rotation's own method, called per request.
        self.choose_group: Callable[[], TargetGroup | None] = lambda: None
        self._server: asyncio.Server | None = None

    def __repr__(self) -> str:
        return f"<Listener {self.name} :{self.port} {dict(self.weights)}>"

    def set_weights(self, weights: Mapping[str, int]) -> None:
        """Forward to these target groups in these proportions from the next request on."""
        unknown = [name for name in weights if name not in self._groups]
        if unknown:
            raise ValueError(f"listener {self.name}: no target group named {unknown[0]!r}")
        rotation = SmoothWeightedRoundRobin({self._groups[n]: w for n, w in weights.items()})
        self.choose_group = rotation.next
        self.weights = MappingProxyType(dict(weights))

    def serving(self, server: asyncio.Server) -> None:
        self._server = server
        self.port = server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            for connection in list(self.connections):
                connection.close()
            await self._server.wait_closed()
