"""A recording `ControlPort` and a fake clock, for the controller's unit tests.

The port performs nothing: it records every call in order, answers from
fields a test sets (green's healthy count, its metrics, each hook's result)
and raises the error a test plants, once. The clock moves only when a test
advances it; sleepers whose time has come wake then. The test listener is
the one real part: a tiny in-process HTTP server that the controller's
validation probes, answering `probe_status`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from bluegreen.engine.actions import ListenerRole
from bluegreen.engine.events import Event, Weights
from bluegreen.engine.inputs import TaskSetRole
from bluegreen.lb.metrics import MetricsSnapshot
from bluegreen.shell import ShellResult
from bluegreen.vocabulary import Status

WAIT = 5.0  # real seconds a test waits for a condition before it fails


class FakeClock:
    def __init__(self) -> None:
        self.time = 1_000_000.0  # far from the real time: a real clock read would show
        self.sleepers: list[tuple[float, asyncio.Future[None]]] = []

    def now(self) -> float:
        return self.time

    async def sleep_until(self, at: float) -> None:
        if at <= self.time:
            return
        woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.sleepers.append((at, woken))
        await woken

    def advance(self, seconds: float) -> None:
        self.time += seconds
        due = [(at, f) for at, f in self.sleepers if at <= self.time]
        for entry in due:
            self.sleepers.remove(entry)
            if not entry[1].done():
                entry[1].set_result(None)


def metrics(requests: int = 0, errors: int = 0, p99: float | None = None) -> MetricsSnapshot:
    return MetricsSnapshot(
        window=1.0,
        requests=requests,
        errors_5xx=errors,
        proxy_errors=0,
        error_rate=errors / requests if requests else 0.0,
        p50=None,
        p90=None,
        p99=p99,
        in_flight=0,
        bytes_in=0,
        bytes_out=0,
    )


@dataclass
class FakePort:
    project_dir: Path
    test_url: str
    prod_url: str = "http://127.0.0.1:9"
    calls: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    inputs: list[dict[str, Any]] = field(default_factory=list)
    healthy: int = 0
    misbound: str | None = None  # what misbound_green answers
    green_snapshot: MetricsSnapshot = field(default_factory=metrics)
    hook_results: dict[str, ShellResult] = field(default_factory=dict)
    fail_next: dict[str, Exception] = field(default_factory=dict)
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    stopped: asyncio.Event | None = None
    """Set by a test: a task set's termination lasts until the test sets this event."""

    def _call(self, *call: Any) -> None:
        self.calls.append(call)
        error = self.fail_next.pop(call[0], None)
        if error is not None:
            raise error

    async def persist_input(self, deployment_id: str, payload: dict[str, Any]) -> None:
        self._call("persist_input", payload["type"])
        self.inputs.append(payload)

    async def launch_green(self, revision: str, count: int) -> None:
        self._call("launch_green", revision, count)

    def terminate(self, role: TaskSetRole) -> Coroutine[Any, Any, None]:
        self._call("terminate", role)
        return self._terminated()

    async def _terminated(self) -> None:
        if self.stopped is not None:
            await self.stopped.wait()

    def set_weights(self, weights: Weights, listener: ListenerRole | None = None) -> None:
        self._call("set_weights", listener, weights.green)

    def record(self, event: Event) -> None:
        self._call("record", event.kind)
        self.events.append(event)

    def healthy_green(self) -> int:
        return self.healthy

    def misbound_green(self) -> str | None:
        return self.misbound

    def green_metrics(self, window: float) -> MetricsSnapshot:
        return self.green_snapshot

    async def run_hook(
        self, command: str, env: Mapping[str, str], timeout: float, cwd: Path
    ) -> ShellResult:
        self._call("run_hook", command, env["BLUEGREEN_LIFECYCLE_EVENT"])
        return self.hook_results.get(command, ShellResult(True, 0, "", "exited 0"))

    def finished(self, deployment_id: str, status: Status, green_left_running: bool) -> None:
        self._call("finished", status, green_left_running)
        self.ended.set()

    # -- what tests ask --------------------------------------------------------------

    def named(self, name: str) -> list[tuple[Any, ...]]:
        return [call for call in self.calls if call[0] == name]

    def production_weights(self) -> list[int]:
        """Green's production weight each time it was set (None: both listeners)."""
        return [green for _, listener, green in self.named("set_weights") if listener != "test"]

    async def until(self, condition: Callable[[], bool]) -> None:
        """Let the controller run until `condition` holds (fails after WAIT seconds)."""
        try:
            async with asyncio.timeout(WAIT):
                while not condition():
                    await asyncio.sleep(0.001)
        except TimeoutError:
            raise AssertionError(f"condition not reached; the port saw {self.calls}") from None


@asynccontextmanager
async def probe_server() -> AsyncIterator[tuple[str, list[int]]]:
    """A real test listener stand-in; the list holds the status it answers (mutable)."""
    status = [200]

    async def answer(request: web.Request) -> web.Response:
        return web.Response(status=status[0], text="ok")

    app = web.Application()
    app.router.add_get("/{tail:.*}", answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}", status
    finally:
        await runner.cleanup()
