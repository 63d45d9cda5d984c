"""The store, off the event loop: one thread owns the SQLite connection.

The daemon's asyncio loop also proxies production traffic, so it must never
wait on SQLite (a WAL checkpoint or a busy disk can take milliseconds).
Every read and write is a job for this thread, run in the order submitted:
a read therefore sees every write submitted before it, which is what the
API's read-your-writes needs (a status right after a deploy sees it).
Writes nobody awaits report a failure through `on_error` (the service ends
the deployment in flight on it) and through their own `failed`, rather than
vanishing. SQLite's errors come out as `StoreFailed`, which names the file.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from .store import Store
from .store_faults import StoreFailed

log = logging.getLogger(__name__)

T = TypeVar("T")
Job = Callable[[Store], Any]
Done = Callable[[Any, BaseException | None], None]
OnError = Callable[[str, BaseException], None]


class StoreThread:
    def __init__(self, store: Store, on_error: OnError) -> None:
        self._store = store
        self._on_error = on_error
        # Each job with its callback and whether a success needs reporting at all.
        self._jobs: queue.SimpleQueue[tuple[Job, Done, bool] | None] = queue.SimpleQueue()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._work, name="store", daemon=True)

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._thread.start()

    async def close(self) -> None:
        """Finish every job submitted so far, then close the connection."""
        if self._thread.is_alive():
            self._jobs.put(None)
            await asyncio.to_thread(self._thread.join)
        self._store.close()

    async def call(self, job: Callable[[Store], T]) -> T:
        """Run `job` after every job submitted before it; its error is raised here."""
        assert self._loop is not None, "StoreThread.start() first"
        future: asyncio.Future[T] = self._loop.create_future()

        def done(result: Any, error: BaseException | None) -> None:
            if future.cancelled():
                return
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result)

        self._jobs.put((job, done, True))
        return await future

    def write(
        self,
        what: str,
        job: Callable[[Store], T],
        then: Callable[[T], None] | None = None,
        failed: Callable[[], None] | None = None,
    ) -> None:
        """Queue `job` without waiting; `then(result)` runs on the loop afterwards, or
        `failed()` (before `on_error`) when the job raised."""

        def done(result: Any, error: BaseException | None) -> None:
            if error is not None:
                if failed is not None:
                    failed()
                self._on_error(what, error)
            elif then is not None:
                then(result)

        self._jobs.put((job, done, then is not None))

    def _work(self) -> None:
        while (item := self._jobs.get()) is not None:
            job, done, report_success = item
            error: Exception | None
            try:
                result, error = job(self._store), None
            except sqlite3.Error as exc:
                result, error = None, StoreFailed(self._store.path, exc)
            except Exception as exc:
                result, error = None, exc
            if error is not None or report_success:
                self._report(done, result, error)

    def _report(self, done: Done, result: Any, error: BaseException | None) -> None:
        """Back on the loop (woken only when someone waits or something failed)."""
        assert self._loop is not None
        try:
            self._loop.call_soon_threadsafe(done, result, error)
        except RuntimeError:  # the loop is closed: nobody is left to tell but the log
            log.error("store job finished after the event loop closed: %r", error)
