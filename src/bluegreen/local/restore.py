"""What a controller serves when it starts, and when its runtime dies.

With no task set in the runtime, it serves the stable revision again
(`restore_stable`), after recording the deployments the previous daemon
did not finish as failed (`fail_interrupted`).

Production does not wait for the controller: the runtime kept serving with
the last weights while no controller ran. The controller that comes back
(`bluegreen up`, or any command that starts it) adopts the runtime's task
sets instead of starting them again: the set noted as live is blue, and
production and test go back to it at once. A deployment that was in
flight cannot be resumed safely (its hooks and its gate died with the
controller, and nothing proved green healthy to *this* controller): green
is stopped and the deployment recorded as failed, with where it was
(`recovery.interrupted_message`). Blue's targets are then probed again
before the controller takes commands, so that nothing it decides rests on
a check older than itself.

When the runtime dies under a live controller, its tasks went with it: a
new runtime kills what the old one left, and the stable revision is started
again, as at `up`; a deployment in flight is stopped and rolled back. The
listening sockets did not go: the controller holds them (`runtime.socket_handoff`),
so the connections that arrive meanwhile wait in their queue, and the new
runtime accepts them once the stable revision passes its health check.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING, Any

from ..engine.events import Event, EventKind
from ..errors import PlatformError
from ..runtime.client import GroupView, RuntimeClient, TaskSetView
from ..state_dir import StateDir, pid_alive
from ..vocabulary import Status
from .recovery import interrupted_message

if TYPE_CHECKING:
    from .service import LocalService

log = logging.getLogger(__name__)

ADOPTED = "production back on blue, green stopped; blue's running tasks were adopted"
RESTORE_TIMEOUT = 120.0
RUNTIME_STOP_TIMEOUT = 60.0
POLL = 0.05


async def fail_interrupted(service: LocalService) -> None:
    """A deployment the previous daemon did not finish cannot be resumed safely."""
    interrupted = await service.store.call(
        lambda store: [(row, interrupted_message(store, row)) for row in store.unfinished()]
    )
    for row, message in interrupted:
        service.record(Event(time.time(), row.id, EventKind.STATUS, Status.FAILED, message))
        service._ended(row.id)


async def restore_stable(service: LocalService) -> None:
    """Serve the stable revision again, once its targets pass the health check anew."""
    name = await service.store.call(lambda store: store.stable_revision)
    stable = await service.revisions.get(name) if name else None
    if stable is None:
        return
    revision = stable.revision
    task_set = await service._launch(service.live_group, stable, service.config)
    group = service.groups[service.live_group]
    try:
        async with asyncio.timeout(RESTORE_TIMEOUT):
            await until_healthy(service, group, task_set)
    except TimeoutError:
        log.warning(
            "%s: %d of %d targets healthy after %gs; serving it anyway",
            revision,
            group.healthy_count,
            task_set.count,
            RESTORE_TIMEOUT,
        )
    service.set_live(task_set)
    service.route({service.live_group: 100})


async def until_healthy(service: LocalService, group: GroupView, task_set: TaskSetView) -> None:
    """Wait on target state changes (not a polling sleep) until every task is healthy,
    or the task set failed to start."""
    while True:
        service.health_changed.clear()
        if group.healthy_count >= task_set.count or task_set.failure is not None:
            return
        await service.health_changed.wait()


async def adopt(service: LocalService, state: dict[str, Any]) -> None:
    sets = {data["id"]: TaskSetView.from_json(data) for data in state["sets"]}
    service.sets.update(sets)
    live = sets.pop(state["notes"].get("live_set", ""), None)
    if live is not None:
        service.set_live(live)
        service.route({live.name: 100})
    interrupted = await service.store.call(
        lambda store: [
            (row, interrupted_message(store, row, ADOPTED)) for row in store.unfinished()
        ]
    )
    others = list(sets.values())
    if interrupted or len(others) > 1:
        await asyncio.gather(*(service._terminate(s, s.name) for s in others))
    elif others:
        service.leftover = others[0]  # a green stopped without rollback, left as it was
    for row, message in interrupted:
        service.record(Event(time.time(), row.id, EventKind.STATUS, Status.FAILED, message))
        service._ended(row.id)
    if live is None:
        await restore_stable(service)
        return
    health = service.config.health_check
    timeout = 2 * health.interval + health.timeout
    await service.runtime.call("reprobe", set_id=live.id, timeout=timeout)
    service.runtime.mirror(await service.runtime.call("state"))
    log.info(
        "adopted %s (%s): %d of %d targets healthy",
        live.id,
        live.revision,
        service.groups[live.name].healthy_count,
        live.count,
    )


async def runtime_lost(service: LocalService) -> None:
    """A new runtime, and the stable revision in it; the deployment in flight rolls back."""
    log.error("the runtime died: starting a new one and the stable revision in it")
    service.sets.clear()
    service.live = service.green = service.leftover = None
    service.runtime.targets.clear()
    if service.controller is not None:
        controller = service.controller
        why = "the runtime (listeners and tasks) died; the stable revision is started again"
        service.record(controller.event(EventKind.MESSAGE, f"stopping: {why}"))
        controller.request_stop(rollback=True)
    try:
        # While the kernel closes a dead process's files one by one, its API
        # socket may still take a connection, then drop it.
        await _until_exited(service.state_dir.runtime_pid(), "lost its connection but did not exit")
        await service.connect_runtime()
        try:
            await restore_stable(service)
        finally:  # the connections queued meanwhile are accepted now, behind the weights
            service.send("serve")
    except PlatformError as exc:
        log.error("the runtime could not be started again: %s", exc)


async def stop_runtime(client: RuntimeClient, state: StateDir) -> None:
    """Ask the runtime to stop and wait until its process is gone."""
    pid = state.runtime_pid()
    client.closing = True  # the connection it closes is not a death to recover from
    with contextlib.suppress(PlatformError):
        await client.call("shutdown")
    await _until_exited(pid, "did not stop")


async def _until_exited(pid: int | None, otherwise: str) -> None:
    """Until the runtime's process `pid` has exited (None: there is none)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + RUNTIME_STOP_TIMEOUT
    while pid is not None and pid_alive(pid):
        if loop.time() > deadline:
            raise PlatformError(f"the runtime (pid {pid}) {otherwise}")
        await asyncio.sleep(POLL)
