"""A watcher of the gate's probes: while the deployment waits for the gate
(production still all blue), only the gate sends requests to green's target
group, so the count green answered then is the count of probes that reached it.
Sampling can miss the last probes before the wait ends (a poll takes a while
on a busy machine), so tests ask for at least one, which blue can't give."""

from __future__ import annotations

import threading
from collections.abc import Callable

import httpx

from .conftest import Emulator
from .resources import Alb


def green_requests(emulator: Emulator, alb: Alb) -> int:
    page = httpx.get(f"{emulator.url}/_bluegreen/target-groups", timeout=10)
    return int(page.json()[alb.green_group]["requests"])


class GateWatch:
    """Samples green's answered requests whenever `waiting()` says the gate is on."""

    def __init__(self, emulator: Emulator, alb: Alb, waiting: Callable[[], bool]) -> None:
        self.emulator, self.alb, self.waiting = emulator, alb, waiting
        self.green_while_waiting = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> GateWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.is_set():
            seen = green_requests(self.emulator, self.alb)
            if self.waiting():  # still waiting after the read: green answered them all then
                self.green_while_waiting = max(self.green_while_waiting, seen)
