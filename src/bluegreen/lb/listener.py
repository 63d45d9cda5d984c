"""A listener: one port whose action forwards to target groups by weight.

Weights are replaced as a whole (`set_weights`), so a request sees either
the old split or the new one, never a mix, and the next request already
uses the new one. Rules (`set_rules`, `listener_rules.py`) are replaced the
same way; the default weights serve what no rule matches.

A listener holds at most `max_connections` clients at once; one more is
answered 503 and counted (`refused`, in /metrics), and logged at most
every `WARN_EVERY` seconds, so that reaching the limit is seen rather than
felt as the open-file limit's resets and 502s.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING

from .http_heads import TOO_MANY_CONNECTIONS
from .listener_rules import Rule, RuleTable
from .routing import SmoothWeightedRoundRobin
from .target_group import TargetGroup

if TYPE_CHECKING:
    from .proxy import ClientConnection

log = logging.getLogger(__name__)
LINGER = 5.0  # seconds a client turned away may take to close its side
WARN_EVERY = 10.0  # seconds between two warnings that clients are turned away


class Listener:
    def __init__(
        self, name: str, groups: Mapping[str, TargetGroup], *, max_connections: int = 1 << 20
    ) -> None:
        self.name = name
        self.port = 0
        self.max_connections = max_connections
        self.refused = 0  # clients turned away at max_connections, since the start
        self._warned_at: float | None = None
        self.weights: Mapping[str, int] = MappingProxyType({})
        self.connections: set[ClientConnection] = set()
        self._groups = groups
        # The group for the next request: the rotation's own method, called per request.
        self.choose_group: Callable[[], TargetGroup | None] = lambda: None
        self.rules: RuleTable | None = None  # None: every request takes the default weights
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

    def set_rules(self, rules: Sequence[Rule]) -> None:
        """Route by these rules, in this order, from the next request on (none: off)."""
        self.rules = RuleTable(rules, self._groups) if rules else None

    def turn_away(self, transport: asyncio.Transport) -> None:
        """A client past `max_connections`: answer 503, count it, and say so
        (now and then). Only the sending side is shut, so that the
        request the client sends meanwhile does not make the close a reset
        that could take the answer with it; the client closes on reading
        it, or the connection is closed when `LINGER` is out."""
        transport.write(TOO_MANY_CONNECTIONS)
        transport.write_eof()
        asyncio.get_running_loop().call_later(LINGER, transport.close)
        self.refused += 1
        now = asyncio.get_running_loop().time()
        if self._warned_at is None or now - self._warned_at >= WARN_EVERY:
            self._warned_at = now
            log.warning(
                "listener %s (port %d): at its max_connections (%d); %d clients answered "
                "503 since the start",
                self.name, self.port, self.max_connections, self.refused,
            )  # fmt: skip

    def serving(self, server: asyncio.Server) -> None:
        self._server = server
        self.port = server.sockets[0].getsockname()[1]

    async def start_serving(self) -> None:
        """Accept connections (a no-op for a listener that does already)."""
        if self._server is not None:
            await self._server.start_serving()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            for connection in list(self.connections):
                connection.close()
            await self._server.wait_closed()
