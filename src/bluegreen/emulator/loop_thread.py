"""The asyncio loop the data plane and the tasks live on, in a thread of its own.

Requests are answered on the HTTP server's threads; listeners, health
checks, task processes and deployments all run on one event loop, as in
the local daemon. A request thread hands the loop a coroutine and waits for
its result (`run`), or just starts it (`spawn`); what a started coroutine
raises goes to the log, since nobody waits for it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

from ..lb.load_balancer import loop_factory

T = TypeVar("T")
log = logging.getLogger(__name__)
WAIT = 60.0


class LoopThread:
    def __init__(self) -> None:
        self.loop = loop_factory()()
        self._thread = threading.Thread(target=self._serve, name="emulator-loop", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def run(self, work: Coroutine[Any, Any, T], timeout: float = WAIT) -> T:
        """Run `work` on the loop and wait for its result (or its exception)."""
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout)

    def spawn(self, work: Coroutine[Any, Any, Any]) -> Future[Any]:
        future = asyncio.run_coroutine_threadsafe(work, self.loop)
        name = getattr(work, "__qualname__", repr(work))
        future.add_done_callback(lambda done: _report(name, done))
        return future

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(WAIT)


def _report(name: str, done: Future[Any]) -> None:
    if not done.cancelled() and done.exception() is not None:
        log.error("%s failed", name, exc_info=done.exception())
