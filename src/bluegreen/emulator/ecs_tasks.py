"""ECS made real: a service's tasks and a task set's tasks run on this machine.

moto stores clusters, task definitions, services and task sets; this runs
their tasks with `bluegreen.tasks` (the process driver runs `[local]
command` of the `--project` directory's bluegreen.toml with `PORT` set; the
Docker driver when `[local] driver` says so) and registers each running
task in its target group at its real address, as ECS does for awsvpc tasks
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/alb-resources-for-blue-green.html).

- CreateService with desiredCount > 0 and the ECS or CODE_DEPLOY deployment
  controller: the service's first task set, in the service's target group
  (for CODE_DEPLOY, the original task set CodeDeploy later replaces;
  https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-bluegreen.html).
- CreateTaskSet (EXTERNAL controller): `scale` percent of the service's
  desired count, rounded up (`computedDesiredCount`); DeleteTaskSet stops them
  (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-external.html).
- DeleteService stops every task of the service.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import BluegreenError
from ..lb.target import TargetState
from ..spec.task_definition import TaskDefinition
from ..tasks.driver import RunningTask
from ..tasks.drivers import driver_for
from ..tasks.runner import FailureCallback, Runner, TaskSet
from . import moto_state
from .endpoint import Behaviour
from .protocol import AwsError, Call

if TYPE_CHECKING:
    from .world import World

log = logging.getLogger(__name__)

POLL = 0.02


@dataclass
class RunningSet:
    """The tasks of one task set, and the target group they are registered in."""

    key: str
    region: str
    target_group: str | None
    tasks: TaskSet

    @property
    def addresses(self) -> list[tuple[str, int]]:
        return [(t.host, t.port) for t in self.tasks.tasks.values()]


class EcsTasks:
    def __init__(self, world: World) -> None:
        self.world = world
        self.sets: dict[str, RunningSet] = {}
        self.primary: dict[str, str] = {}
        """Service ARN → the key of the task set its own tasks run in."""
        self._runner: Runner | None = None

    def behaviour(self) -> Behaviour:
        return Behaviour(
            after={
                ("ecs", "CreateService"): self._service_created,
                ("ecs", "DeleteService"): self._service_deleted,
                ("ecs", "CreateTaskSet"): self._task_set_created,
                ("ecs", "DeleteTaskSet"): self._task_set_deleted,
            }
        )

    # -- API hooks (request threads) -------------------------------------------------

    def _service_created(self, call: Call) -> None:
        p = call.params
        service = moto_state.service(call.region, p.get("cluster", "default"), p["serviceName"])
        self.world.loop.run(self.start_service(call.region, service))

    async def adopt(self, region: str) -> None:
        """Run the tasks of services made without CreateService (by CloudFormation)."""
        for service in list(moto_state.ecs(region).services.values()):
            if service.arn not in self.primary:
                await self.start_service(region, service)

    async def start_service(self, region: str, service: Any) -> None:
        if service.deployment_controller.get("type") == "EXTERNAL" or not service.desired_count:
            return
        group = _target_group(service.load_balancers or [])
        key = f"{service.arn}/primary"
        self.primary[service.arn] = key
        await self.launch(key, region, service.task_definition, group, service.desired_count)

    def _service_deleted(self, call: Call) -> None:
        p = call.params
        arn = moto_state.service_arn(call.region, p.get("cluster", "default"), p["service"])
        for key in [k for k in self.sets if k.startswith(arn + "/")]:
            self.world.loop.run(self.terminate(key))

    def _task_set_created(self, call: Call) -> None:
        p = call.params
        service = moto_state.service(call.region, p["cluster"], p["service"])
        task_set = service.task_sets[-1]
        count = math.ceil(service.desired_count * float(task_set.scale["value"]) / 100)
        group = _target_group(p.get("loadBalancers") or [])
        key = f"{service.arn}/{task_set.id}"
        self.world.loop.run(self.launch(key, call.region, p["taskDefinition"], group, count))

    def _task_set_deleted(self, call: Call) -> None:
        p = call.params
        arn = moto_state.service_arn(call.region, p["cluster"], p["service"])
        task_set = p["taskSet"].rpartition("/")[2]
        self.world.loop.run(self.terminate(f"{arn}/{task_set}"))

    # -- on the loop ----------------------------------------------------------------

    async def launch(
        self,
        key: str,
        region: str,
        taskdef_ref: str,
        group: str | None,
        count: int,
        on_failure: FailureCallback | None = None,
    ) -> RunningSet:
        """Start `count` tasks of the task definition, registered in `group` as they start."""
        taskdef, revision = self._task_definition(region, taskdef_ref)
        runner = self.runner()
        try:
            tasks = runner.task_set(key, revision, taskdef, count)
        except BluegreenError as exc:
            raise AwsError("ClientException", f"cannot run {revision}: {exc}") from None
        running = RunningSet(key, region, group, tasks)
        if group is not None:
            tasks.on_start = lambda task: self._register(running, task)
            tasks.on_exit = lambda task, code: self._deregister(running, task)
        tasks.on_failure = on_failure or (lambda why: _log_failure(key, why))
        self.sets[key] = running
        await tasks.start()
        return running

    async def terminate(self, key: str) -> None:
        """Deregister the set's targets (they drain), then stop its tasks."""
        running = self.sets.pop(key, None)
        if running is None:
            return
        await running.tasks.stop(lambda task: self._deregister(running, task))

    async def keep_alive(self, key: str) -> None:
        """Deregister the set's targets (they drain) and leave its tasks running; they
        stop with the service or the emulator."""
        running = self.sets.get(key)
        if running is None or running.target_group is None:
            return
        for task in list(running.tasks.tasks.values()):
            await self._deregister(running, task)
        running.target_group = None

    async def wait_healthy(self, running: RunningSet) -> None:
        """Until every task of the set runs and its target is healthy."""
        while not self.healthy(running):
            await asyncio.sleep(POLL)

    def healthy(self, running: RunningSet) -> bool:
        if len(running.tasks.tasks) < running.tasks.count:
            return False
        if running.target_group is None:
            return True
        group = self.world.balancer.groups[running.target_group]
        states = {(t.host, t.port): t.state for t in group.targets}
        return all(states.get(a) is TargetState.HEALTHY for a in running.addresses)

    async def close(self) -> None:
        for key in list(self.sets):
            await self.terminate(key)

    async def _register(self, running: RunningSet, task: RunningTask) -> None:
        if running.target_group is not None:  # None once kept alive out of its group
            await self.world.elbv2.add_target(
                running.region, running.target_group, task.host, task.port
            )

    async def _deregister(self, running: RunningSet, task: RunningTask) -> None:
        if running.target_group is not None:
            await self.world.elbv2.remove_target(
                running.region, running.target_group, task.host, task.port
            )

    def runner(self) -> Runner:
        project = self.world.project
        if project is None:
            raise AwsError(
                "ClientException",
                "the emulator runs tasks with a project's bluegreen.toml [local] settings: "
                "start it with --project DIR",
            )
        if self._runner is None:
            state = self.world.settings.state_dir
            driver = driver_for(project.config, state)
            self._runner = Runner(driver, project.config, project.dir, state)
        return self._runner

    def _task_definition(self, region: str, ref: str) -> tuple[TaskDefinition, str]:
        found = moto_state.ecs(region).describe_task_definition(ref)
        document = {"family": found.family, "containerDefinitions": found.container_definitions}
        try:
            return TaskDefinition.from_document(document), f"{found.family}:{found.revision}"
        except BluegreenError as exc:
            raise AwsError("ClientException", f"task definition {ref}: {exc}") from None


def _target_group(load_balancers: list[Mapping[str, Any]]) -> str | None:
    for entry in load_balancers:
        if entry.get("targetGroupArn"):
            return str(entry["targetGroupArn"])
    return None


async def _log_failure(key: str, why: str) -> None:
    log.warning("task set %s: %s", key, why)
