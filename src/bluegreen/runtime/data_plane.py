"""What the runtime holds, and the verbs of its API on it.

Target groups and listeners (`lb`), task sets (`tasks`) whose tasks
register in their group as they start and drain from it as they exit, as
an ECS service registers its tasks in its ALB's target group. Every change
a controller has to hear of (a target's state or reason, a task's exit, a
set that cannot start) is published to the connections that watch; what
is true now is read with `state` and `view`. Nothing here knows of
deployments: the controller says which set is blue by a `note`, which
survives the controller and tells its successor.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import PlatformError, Problem, SpecError
from ..lb.load_balancer import LoadBalancer, ProxySettings, Target, TargetState
from ..spec.config import BluegreenConfig, HealthCheckConfig
from ..spec.task_definition import TaskDefinition
from ..tasks.driver import RunningTask, TaskDriver
from ..tasks.drivers import ImageDriverOnDemand
from ..tasks.runner import Runner, TaskSet
from ..tasks.task_logs import tail
from .wire import snapshot_to_json

log = logging.getLogger(__name__)

Publish = Callable[[dict[str, Any]], None]
REPROBE_POLL = 0.02


class DataPlane:
    def __init__(
        self,
        config: BluegreenConfig,
        project_dir: Path,
        state_dir: Path,
        driver: TaskDriver,
        sockets: dict[str, socket.socket],
    ) -> None:
        try:
            self.lb = LoadBalancer(
                settings=ProxySettings(max_connections=config.local.max_connections)
            )
        except ValueError as exc:  # above what the open-file limit allows
            raise SpecError(Problem("bluegreen.toml", "local.max_connections", str(exc))) from exc
        self.runner = Runner(driver, config, project_dir, state_dir)
        self.config, self.state_dir = config, state_dir
        self.sockets = sockets
        """The controller's listening sockets, by listener name: what `configure` serves."""
        self.images = ImageDriverOnDemand(driver, config, state_dir)
        """What runs revisions of images; under the process driver made when one comes."""
        self.sets: dict[str, TaskSet] = {}
        self.targets: dict[str, Target] = {}  # by task id
        self.owners: dict[Target, tuple[str, str]] = {}  # target → (set id, task id)
        self.notes: dict[str, Any] = {}
        self.labels: dict[str, tuple[str, str]] = {}
        self.lb.group_labels = lambda name: self.labels.get(name, ("", ""))
        self.publish: Publish = lambda event: None
        self.background: set[asyncio.Future[Any]] = set()
        self._ids = itertools.count(1)

    # -- configuring ---------------------------------------------------------------

    async def configure(
        self, listeners: dict[str, int], groups: dict[str, dict[str, Any]]
    ) -> dict[str, Any]:
        """Make the groups and listeners once; a controller that comes back finds
        them as they are, and is refused if it wants other ports."""
        if self.lb.listeners:
            serving = {name: listener.port for name, listener in self.lb.listeners.items()}
            if serving != listeners or set(self.lb.groups) != set(groups):
                raise PlatformError(
                    f"the running runtime serves {serving}, not {listeners}: "
                    "`bluegreen down`, then `bluegreen up`"
                )
            return self.state()
        for name, group in groups.items():
            made = self.lb.add_target_group(
                name,
                HealthCheckConfig.model_validate(group["health"]),
                deregistration_delay=group["deregistration_delay"],
                upgrade_grace=group["upgrade_grace"],
            )
            made.subscribe(lambda target, old, new: self._target_event(target))
        missing = set(listeners) - set(self.sockets)
        if missing:
            raise PlatformError(f"the runtime was started without a socket for {sorted(missing)}")
        for name in listeners:
            await self.lb.add_listener(name, sock=self.sockets[name])
        return self.state()

    async def serve(self) -> None:
        """Accept on every listener: the controller says so once what production
        routes to can answer (until then connections wait in the queue)."""
        for listener in self.lb.listeners.values():
            await listener.start_serving()

    async def set_health_check(self, group: str, health: dict[str, Any]) -> None:
        await self.lb.set_health_check(group, HealthCheckConfig.model_validate(health))

    def set_weights(self, weights: dict[str, int], listener: str | None = None) -> None:
        for name, each in self.lb.listeners.items():
            if listener is None or listener == name:
                each.set_weights(weights)

    def note(self, key: str, value: Any) -> None:
        self.notes[key] = value

    # -- task sets ---------------------------------------------------------------------

    async def launch(
        self,
        group: str,
        revision: str,
        taskdef: dict[str, Any],
        config: dict[str, Any],
        count: int | None,
        workdir: str | None,
        images: bool = False,
    ) -> dict[str, Any]:
        """Start a task set of `revision` in `group`, run and checked with `config`
        (by the Docker driver when the revision is one of pinned `images`)."""
        settings = BluegreenConfig.model_validate(config)
        driver = await self.images(f"revision {revision}") if images else None
        await self.lb.set_health_check(group, settings.health_check)
        task_set = self.runner.task_set(
            group,
            revision,
            TaskDefinition.model_validate(taskdef),
            count,
            Path(workdir) if workdir else None,
            settings,
            driver,
        )
        set_id = f"{group}-{next(self._ids)}"
        self._wire(set_id, task_set)
        self.sets[set_id] = task_set
        await task_set.start()
        return self._set_state(set_id, task_set)

    def _wire(self, set_id: str, task_set: TaskSet) -> None:
        group = self.lb.groups[task_set.name]

        async def registered(task: RunningTask) -> None:
            target = group.register(task.host, task.port)
            self.targets[task.task_id] = target
            self.owners[target] = (set_id, task.task_id)
            self._target_event(target)

        async def exited(task: RunningTask, code: int) -> None:
            target = self.targets.pop(task.task_id, None)
            if target is not None:
                self._track(group.begin_drain(target))
            output = tail(task.log_path)
            self.publish(
                {"event": "task_exited", "set": set_id, "task_id": task.task_id, "code": code,
                 "output": output}
            )  # fmt: skip

        async def failed(why: str) -> None:
            log.error("task set %s of %s could not start: %s", set_id, task_set.revision, why)
            self.publish({"event": "task_set_failed", "set": set_id, "why": why})

        task_set.on_start, task_set.on_exit, task_set.on_failure = registered, exited, failed

    async def terminate(self, set_id: str) -> None:
        """Stop the set's tasks, all at once, each deregistered (draining) before its
        SIGTERM, which waits until its target serves only streams; over when every
        task has exited and every drain has ended. A set unknown here is over."""
        task_set = self.sets.get(set_id)
        if task_set is None:
            return
        group = self.lb.groups[task_set.name]

        async def drain(task: RunningTask) -> asyncio.Future[None] | None:
            target = self.targets.pop(task.task_id, None)
            if target is None:
                return None
            drained = group.begin_drain(target)
            if target.drain is not None:
                await target.answered.wait()
            return drained

        try:
            await task_set.stop(drain)
        finally:
            self.sets.pop(set_id, None)

    async def reprobe(self, set_id: str, timeout: float) -> dict[str, Any]:
        """Wait until each of the set's targets has been probed again since now (or
        `timeout`), so that a controller that comes back trusts fresh checks only."""
        task_set = self.sets.get(set_id)
        if task_set is None:
            raise PlatformError(f"no task set {set_id} in the runtime")
        targets = [self.targets[t.task_id] for t in task_set.tasks.values()
                   if t.task_id in self.targets]  # fmt: skip
        before = {target: _checks(target) for target in targets}
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while any(_checks(t) == n for t, n in before.items()) and loop.time() < deadline:
            await asyncio.sleep(REPROBE_POLL)
        return self._set_state(set_id, task_set)

    # -- reading -------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        return {
            "sets": [self._set_state(set_id, s) for set_id, s in self.sets.items()],
            "targets": [self._target_state(t) for g in self.lb.groups.values() for t in g.targets],
            "weights": {name: dict(each.weights) for name, each in self.lb.listeners.items()},
            "notes": self.notes,
        }

    def view(self, windows: list[float]) -> dict[str, Any]:
        """Each group's traffic over each window, and each set's misbound task."""
        metrics = {
            name: {str(w): snapshot_to_json(group.metrics.snapshot(w)) for w in windows}
            for name, group in self.lb.groups.items()
        }
        misbound = {}
        for set_id, task_set in self.sets.items():
            refused = {task_id for task_id, t in self.targets.items() if t.refused}
            misbound[set_id] = task_set.misbound(refused) if refused else None
        return {"metrics": metrics, "misbound": misbound}

    def metrics_text(self, labels: dict[str, list[str]]) -> str:
        self.labels = {name: (role, revision) for name, (role, revision) in labels.items()}
        return self.lb.metrics_text().decode()

    def _set_state(self, set_id: str, task_set: TaskSet) -> dict[str, Any]:
        return {
            "id": set_id,
            "group": task_set.name,
            "revision": task_set.revision,
            "count": task_set.count,
            "stop_timeout": task_set.container.stop_timeout,
            "failure": task_set.failure,
            "tasks": [
                {"task_id": t.task_id, "handle": t.handle, "address": f"{t.host}:{t.port}"}
                for t in task_set.tasks.values()
            ],
        }

    def _target_state(self, target: Target) -> dict[str, Any]:
        set_id, task_id = self.owners.get(target, ("", ""))
        reason = target.reason
        return {
            "group": target.group,
            "address": target.address,
            "state": str(target.state),
            "reason": reason.to_dict() if reason else None,
            "refused": target.refused,
            "set": set_id,
            "task_id": task_id,
        }

    def _target_event(self, target: Target) -> None:
        self.publish({"event": "target", "target": self._target_state(target)})
        if target.state is TargetState.UNUSED:
            self.owners.pop(target, None)

    def _track(self, work: asyncio.Future[Any]) -> None:
        self.background.add(work)
        work.add_done_callback(self.background.discard)

    # -- the end -----------------------------------------------------------------------

    async def close(self) -> None:
        """Stop every set the controller left (drained), then the load balancer."""
        await asyncio.gather(*(self.terminate(s) for s in list(self.sets)))
        await asyncio.gather(*self.background, return_exceptions=True)
        await self.lb.close()


def _checks(target: Target) -> tuple[int, int]:
    """Changes with every probe of the target: one streak grows, or the other begins."""
    return target.successes, target.failures
