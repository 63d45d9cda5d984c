"""The controller's side of the runtime API: calls, and a mirror of what is true.

`RuntimeClient` sends requests and matches their answers; a watch on the
same connection brings every target change, task exit and set failure,
which keep a mirror (`targets`) current and are handed to the controller.
The controller reads health from the mirror without a round trip, as it
read the load balancer's objects when both lived in one process. Traffic
counters change with every request, so they are not pushed: `refresh`
fetches each group's snapshot (and each set's misbound task) for the
windows asked of it before, at the pace the controller polls them anyway;
a reading is at most one refresh old.

A lost connection means the runtime died (it never closes first):
`on_lost` is called once, and every call in flight fails with a
`PlatformError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import PlatformError, UsageError
from ..lb.metrics import MetricsSnapshot
from ..lb.target import TargetState
from ..lb.target_health import Reason
from ..state_dir import StateDir
from .wire import (
    LINE_LIMIT,
    decode,
    empty_snapshot,
    encode,
    reason_from_json,
    short_address,
    snapshot_from_json,
)

log = logging.getLogger(__name__)

EventHandler = Callable[[dict[str, Any]], None]


@dataclass
class TargetView:
    """A target as the runtime last said it is."""

    group: str
    address: str
    state: TargetState
    reason: Reason | None
    refused: bool
    set_id: str
    task_id: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TargetView:
        return cls(
            data["group"],
            data["address"],
            TargetState(data["state"]),
            reason_from_json(data["reason"]),
            data["refused"],
            data["set"],
            data["task_id"],
        )

    def health(self) -> dict[str, str]:
        """Address, state and reason, as `status` and the dashboard show them."""
        reason = self.reason.to_dict() if self.reason else {}
        return {"target": self.address, "state": str(self.state), **reason}


@dataclass
class TaskSetView:
    """A task set in the runtime: what the service keeps of one it launched or adopted."""

    id: str
    name: str
    """Its target group."""
    revision: str
    count: int
    stop_timeout: float
    failure: str | None = None
    task_ids: set[str] = field(default_factory=set)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TaskSetView:
        task_ids = {task["task_id"] for task in data["tasks"]}
        return cls(
            data["id"], data["group"], data["revision"], data["count"],
            data["stop_timeout"], data["failure"], task_ids,
        )  # fmt: skip


class GroupMetrics:
    """A group's traffic as last refreshed, per window asked for."""

    def __init__(self, client: RuntimeClient) -> None:
        self._client = client
        self.by_window: dict[float, MetricsSnapshot] = {}

    def snapshot(self, window: float) -> MetricsSnapshot:
        self._client.windows.add(window)
        return self.by_window.get(window) or empty_snapshot(window)


class GroupView:
    def __init__(self, name: str, client: RuntimeClient) -> None:
        self.name = name
        self._client = client
        self.metrics = GroupMetrics(client)
        client.groups[name] = self  # so that `refresh` brings its traffic

    @property
    def targets(self) -> list[TargetView]:
        return [t for t in self._client.targets.values() if t.group == self.name]

    @property
    def healthy_count(self) -> int:
        return sum(1 for t in self.targets if t.state is TargetState.HEALTHY)


class ListenerView:
    def __init__(self, weights: dict[str, int]) -> None:
        self.weights = weights


class RuntimeClient:
    def __init__(self, on_event: EventHandler, on_lost: Callable[[], None]) -> None:
        self.on_event = on_event
        self.on_lost = on_lost
        self.targets: dict[tuple[str, str], TargetView] = {}
        self.misbound: dict[str, str | None] = {}
        self.groups: dict[str, GroupView] = {}
        self.windows: set[float] = set()
        self._writer: asyncio.StreamWriter | None = None
        self._reading: asyncio.Task[None] | None = None
        self._answers: dict[int, asyncio.Future[Any]] = {}
        self._ids = itertools.count(1)
        self.closing = False

    async def connect(self, state: StateDir) -> None:
        with short_address(state.runtime_socket) as address:
            reader, self._writer = await asyncio.open_unix_connection(address, limit=LINE_LIMIT)
        self.closing = False  # this connection's end is a death to recover from again
        self._reading = asyncio.create_task(self._read(reader))
        await self.call("watch")

    async def call(self, op: str, **args: Any) -> Any:
        if self._writer is None or self._writer.is_closing():
            raise PlatformError(f"the runtime is not reachable (asked to {op})")
        request_id = next(self._ids)
        answer = self._answers[request_id] = asyncio.get_running_loop().create_future()
        self._writer.write(encode({"id": request_id, "op": op, "args": args}))
        try:
            return await answer
        finally:
            self._answers.pop(request_id, None)

    def mirror(self, state: dict[str, Any]) -> None:
        """Take the runtime's whole state as the mirror's (after connecting)."""
        self.targets.clear()
        for data in state["targets"]:
            self._update(TargetView.from_json(data))

    async def refresh(self) -> None:
        """Fetch the traffic of every window read since, and each set's misbound task."""
        windows = sorted(self.windows)
        view = await self.call("view", windows=windows)
        for name, by_window in view["metrics"].items():
            group = self.groups.get(name)
            if group is not None:
                group.metrics.by_window = {
                    float(w): snapshot_from_json(s) for w, s in by_window.items()
                }
        self.misbound = view["misbound"]

    async def close(self) -> None:
        self.closing = True
        if self._writer is not None:
            self._writer.close()
        if self._reading is not None:
            self._reading.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reading

    async def _read(self, reader: asyncio.StreamReader) -> None:
        try:
            while line := await reader.readline():
                self._dispatch(decode(line))
        except (ConnectionError, ValueError) as exc:
            log.error("runtime connection broke: %r", exc)
        finally:
            self._lost()

    def _dispatch(self, message: dict[str, Any]) -> None:
        if "id" not in message:
            # After the answers read before it have been taken up: a set that fails
            # at once says so right behind the answer to its `launch`, and the
            # caller must know the set by then.
            asyncio.get_running_loop().call_soon(self._event, message)
            return
        answer = self._answers.get(message["id"])
        if answer is None or answer.done():
            return
        if "error" in message:
            answer.set_exception(_error(message["kind"], message["error"]))
        else:
            answer.set_result(message["result"])

    def _event(self, message: dict[str, Any]) -> None:
        if message["event"] == "target":
            self._update(TargetView.from_json(message["target"]))
        self.on_event(message)

    def _update(self, target: TargetView) -> None:
        key = (target.group, target.address)
        if target.state is TargetState.UNUSED:
            self.targets.pop(key, None)
        else:
            self.targets[key] = target

    def _lost(self) -> None:
        for answer in self._answers.values():
            if not answer.done():
                answer.set_exception(PlatformError("the runtime went away"))
        if not self.closing:
            self.closing = True
            self.on_lost()


def _error(kind: str, message: str) -> Exception:
    if kind in ("spec", "usage"):  # exit 2 alike; the message names the file and field
        return UsageError(message)
    return PlatformError(message)
