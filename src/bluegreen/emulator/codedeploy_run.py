"""One CodeDeploy deployment driven by our engine, on the emulator's loop.

CodeDeploy's ECS lifecycle (https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-steps-ecs.html)
is what `bluegreen.engine` implements; this performs its actions on the
emulated AWS: Install creates the replacement (green) task set in the
target group of the pair the service is not on, AllowTestTraffic points
the test listener at it, AllowTraffic rewrites the production listener's
weighted forward action step by step, and the original task set is
terminated after the termination wait. Weights are written to the
listeners moto stores (so DescribeListeners shows them) and applied to the
real ports at once.

CodeDeploy itself probes nothing at AllowTestTraffic: the engine's
validation is answered at once, so the deployment goes on to the ready
wait, where a gate (bluegreen's, or a user's script) decides.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..engine import actions as do
from ..engine.actions import Action, ListenerRole
from ..engine.deployment import Deployment
from ..engine.events import ALL_BLUE, Weights
from ..engine.inputs import (
    Alarm,
    Input,
    Started,
    TaskSetFailed,
    TaskSetReady,
    TaskSetRole,
    Tick,
    ValidationResult,
)
from ..engine.rejections import RejectedInput
from . import moto_state
from .ecs_tasks import RunningSet

if TYPE_CHECKING:
    from .world import World

log = logging.getLogger(__name__)

ALARM_POLL = 0.05


@dataclass(frozen=True)
class Wiring:
    """Where one deployment acts: the service, its target groups and listeners."""

    region: str
    service_arn: str
    taskdef_arn: str
    blue_group: str
    green_group: str
    prod_listener: str
    test_listener: str | None
    alarms: tuple[str, ...] = ()
    hooks: tuple[tuple[str, str], ...] = ()
    """(lifecycle event, Lambda function name) of the AppSpec's Hooks."""
    keep_blue: bool = False
    """`terminateBlueInstancesOnDeploymentSuccess` KEEP_ALIVE: the original task set
    leaves its target group at the end but keeps running."""


class DeploymentRun:
    def __init__(
        self, world: World, engine: Deployment, wiring: Wiring, on_end: Callable[[], None]
    ) -> None:
        self.world = world
        self.engine = engine
        self.wiring = wiring
        self.on_end = on_end
        self.queue: asyncio.Queue[Input] = asyncio.Queue()
        self.green: RunningSet | None = None
        self.blue_key = world.ecs.primary.get(wiring.service_arn)
        self.started_at = 0.0
        """The loop's clock when the engine started (its events' times count from it)."""
        self.weights = ALL_BLUE
        self.background: set[asyncio.Task[Any]] = set()
        self._alarms: asyncio.Task[Any] | None = None

    @property
    def green_key(self) -> str:
        return f"{self.wiring.service_arn}/{self.engine.deployment_id}"

    def now(self) -> float:
        return asyncio.get_running_loop().time()

    def submit(self, item: Input) -> None:
        """From any thread: the engine sees inputs one at a time, in order."""
        self.world.loop.loop.call_soon_threadsafe(self.queue.put_nowait, item)

    async def run(self) -> None:
        self.started_at = self.now()
        self.queue.put_nowait(Started(at=self.started_at))
        try:
            while not await self._step():
                pass
        except Exception:
            log.exception("deployment %s: the driver failed", self.engine.deployment_id)
        finally:
            for task in self.background:
                task.cancel()
            self.on_end()

    async def _step(self) -> bool:
        """Handle one input; True once the deployment finished."""
        item = await self.queue.get()
        try:
            actions = self.engine.handle(item)
        except RejectedInput as exc:
            log.info("deployment %s: %s", self.engine.deployment_id, exc)
            return False
        for action in actions:
            await self._perform(action)
            if isinstance(action, do.Finished):
                return True
        return False

    async def _perform(self, action: Action) -> None:
        match action:
            case do.SetWeights(listener, weights):
                await self._set_weights(listener, weights)
            case do.LaunchTaskSet(_, _, count):
                await self._launch(count)
            case do.TerminateTaskSet(role):
                await self._terminate(role)
            case do.RunHook(event, timeout):
                self._spawn(self.world.hooks.invoke(self, event, timeout))
            case do.StartValidation():
                detail = "CodeDeploy does not probe the test listener"
                self.queue.put_nowait(ValidationResult(at=self.now(), ok=True, detail=detail))
            case do.WatchAlarms(on):
                self._watch_alarms(on)
            case do.WakeAt(at):
                self._spawn(self._wake_at(at))
            case do.Record() | do.Finished() | do.StopValidation():
                pass  # the record is read from the engine's own log; validation was instant
            case _:
                log.warning("deployment %s: %s is not emulated", self.engine.deployment_id, action)

    async def _set_weights(self, role: ListenerRole, weights: Weights) -> None:
        w = self.wiring
        listener = w.prod_listener if role is ListenerRole.PRODUCTION else w.test_listener
        if role is ListenerRole.PRODUCTION:
            self.weights = weights
        if listener is None:
            return  # no test listener: AllowTestTraffic moves nothing
        split = {w.blue_group: weights.blue, w.green_group: weights.green}
        self.route(listener, split)
        await self.world.elbv2.sync(w.region)

    def route(self, listener: str, split: dict[str, int]) -> None:
        """Where CodeDeploy writes the weights: the listener's default action."""
        moto_state.set_forward(self.wiring.region, listener, split)

    async def _launch(self, count: int) -> None:
        w = self.wiring
        self.green = await self.world.ecs.launch(
            self.green_key, w.region, w.taskdef_arn, w.green_group, count, self._green_failed
        )
        self._spawn(self._report_ready(self.green))

    async def _report_ready(self, green: RunningSet) -> None:
        await self.world.ecs.wait_healthy(green)
        self.queue.put_nowait(TaskSetReady(at=self.now()))

    async def _green_failed(self, why: str) -> None:
        self.queue.put_nowait(TaskSetFailed(at=self.now(), task_set=TaskSetRole.GREEN, why=why))

    async def _terminate(self, role: TaskSetRole) -> None:
        ecs = self.world.ecs
        if role is TaskSetRole.GREEN:
            await ecs.terminate(self.green_key)
            return
        blue = ecs.primary.get(self.wiring.service_arn)
        ecs.primary[self.wiring.service_arn] = self.green_key
        if blue is not None:
            await (ecs.keep_alive(blue) if self.wiring.keep_blue else ecs.terminate(blue))

    def _watch_alarms(self, on: bool) -> None:
        if self._alarms is not None:
            self._alarms.cancel()
            self._alarms = None
        if on and self.wiring.alarms:
            self._alarms = self._spawn(self._poll_alarms())

    async def _poll_alarms(self) -> None:
        """CloudWatch alarms of the group (SetAlarmState sets them by hand): any in
        ALARM stops the deployment (https://docs.aws.amazon.com/codedeploy/latest/userguide/monitoring-create-alarms.html)."""
        while True:
            found = moto_state.alarm_states(self.wiring.region, self.wiring.alarms)
            for name, state, reason in found:
                if state == "ALARM":
                    self.queue.put_nowait(Alarm(at=self.now(), name=name, detail=reason))
                    return
            await asyncio.sleep(ALARM_POLL)

    async def _wake_at(self, at: float) -> None:
        await asyncio.sleep(max(0.0, at - self.now()))
        self.queue.put_nowait(Tick(at=self.now()))

    def _spawn(self, work: Any) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(work)
        self.background.add(task)
        task.add_done_callback(self.background.discard)
        return task

    async def cancel(self) -> None:
        for task in list(self.background):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
