"""One ECS service deployment (BLUE_GREEN, CANARY, LINEAR) driven by our engine.

ECS's lifecycle stages line up with the engine's events
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/blue-green-deployment-how-it-works.html):
PRE_SCALE_UP is BeforeInstall, SCALE_UP Install (green's tasks in the
alternate target group, healthy), POST_SCALE_UP AfterInstall,
TEST_TRAFFIC_SHIFT AllowTestTraffic (the test listener rule forwards to
green), POST_TEST_TRAFFIC_SHIFT AfterAllowTestTraffic, PRODUCTION_TRAFFIC_SHIFT
BeforeAllowTraffic and AllowTraffic (the production listener rule's weights,
step by step), POST_PRODUCTION_TRAFFIC_SHIFT AfterAllowTraffic, BAKE_TIME the
termination wait, CLEAN_UP blue's tasks stopped. What differs from
CodeDeploy's run is where the weights go (the listener rules named by the
service's `advancedConfiguration`, not the listeners' default actions) and
the hooks: every hook of a stage runs at once and the stage goes on when all
succeeded
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-lifecycle-hooks.html).
A PAUSE hook waits in AWAITING_ACTION for ContinueServiceDeployment CONTINUE
or ROLLBACK, or its timeout and timeout action
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/pause-lifecycle-hooks.html);
an AWS_LAMBDA hook runs the local command `--lambda NAME=COMMAND` gives for
the function's name, exiting 0 for SUCCEEDED, with the hook's details in
`ECS_HOOK_EVENT` (JSON) and `AWS_ENDPOINT_URL` in its environment.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from ..engine import actions as do
from ..engine.actions import Action
from ..engine.deployment import Deployment
from ..engine.inputs import HookFinished
from ..engine.transitions import Phase
from ..shell import run_shell
from ..vocabulary import LifecycleEvent
from . import moto_state
from .codedeploy_run import DeploymentRun, Wiring
from .ecs_strategy import MINUTE, Hook

if TYPE_CHECKING:
    from .world import World

STAGES = {
    Phase.CREATED: "RECONCILE_SERVICE",
    Phase.BEFORE_INSTALL: "PRE_SCALE_UP",
    Phase.INSTALL: "SCALE_UP",
    Phase.AFTER_INSTALL: "POST_SCALE_UP",
    Phase.ALLOW_TEST_TRAFFIC: "TEST_TRAFFIC_SHIFT",
    Phase.AFTER_ALLOW_TEST_TRAFFIC: "POST_TEST_TRAFFIC_SHIFT",
    Phase.READY_WAIT: "POST_TEST_TRAFFIC_SHIFT",
    Phase.BEFORE_ALLOW_TRAFFIC: "PRODUCTION_TRAFFIC_SHIFT",
    Phase.ALLOW_TRAFFIC: "PRODUCTION_TRAFFIC_SHIFT",
    Phase.AFTER_ALLOW_TRAFFIC: "POST_PRODUCTION_TRAFFIC_SHIFT",
    Phase.TERMINATION_WAIT: "BAKE_TIME",
    Phase.SUCCEEDED: "CLEAN_UP",
}


@dataclass
class HookExecution:
    """One run of one hook: what DescribeServiceDeployments' lifecycleHookDetails show."""

    hook_id: str
    hook: Hook
    expires_at: datetime
    status: str
    answer: asyncio.Future[str] | None = field(default=None, repr=False)
    """A PAUSE hook's: CONTINUE or ROLLBACK, from ContinueServiceDeployment."""


class NativeRun(DeploymentRun):
    def __init__(
        self,
        world: World,
        engine: Deployment,
        wiring: Wiring,
        on_end: Callable[[], None],
        hooks: tuple[Hook, ...],
    ) -> None:
        super().__init__(world, engine, wiring, on_end)
        self.hooks = hooks
        self.executions: list[HookExecution] = []
        self.last_stage = STAGES[Phase.CREATED]

    @property
    def stage(self) -> str:
        """The lifecycle stage now; an ended deployment keeps the one it ended in."""
        return STAGES.get(self.engine.phase) or self.last_stage

    def route(self, rule: str, split: dict[str, int]) -> None:
        """ECS moves traffic by rewriting the listener rules' weighted forwards."""
        moto_state.set_rule_forward(self.wiring.region, rule, split)

    async def _perform(self, action: Action) -> None:
        self.last_stage = self.stage  # remembered before an ending hides it
        if isinstance(action, do.RunHook):
            self._spawn(self._run_hooks(action.event))
            return
        await super()._perform(action)

    async def _run_hooks(self, event: LifecycleEvent) -> None:
        results = await asyncio.gather(*(self._run(h) for h in self.hooks if h.event is event))
        failed = [detail for ok, detail in results if not ok]
        detail = "; ".join(failed) or "every lifecycle hook succeeded"
        finished = HookFinished(at=self.now(), event=event, ok=not failed, detail=detail)
        self.queue.put_nowait(finished)

    async def _run(self, hook: Hook) -> tuple[bool, str]:
        timeout = hook.timeout_minutes * MINUTE * self.world.scale
        kind = "pause" if hook.target_type == "PAUSE" else "lambda"
        execution = HookExecution(
            f"ecs-{kind}-{secrets.token_urlsafe(32)}",
            hook,
            datetime.now(UTC) + timedelta(seconds=timeout),
            "AWAITING_ACTION" if kind == "pause" else "IN_PROGRESS",
        )
        self.executions.append(execution)
        work = self._pause(execution) if kind == "pause" else self._lambda(execution, timeout)
        try:
            return await asyncio.wait_for(work, timeout)
        except TimeoutError:
            execution.status = "TIMED_OUT"
            detail = f"{hook.stage} hook timed out: {hook.timeout_action}"
            return hook.timeout_action == "CONTINUE", detail

    async def _pause(self, execution: HookExecution) -> tuple[bool, str]:
        execution.answer = asyncio.get_running_loop().create_future()
        action = await execution.answer
        execution.status = "SUCCEEDED"
        return action == "CONTINUE", f"{execution.hook.stage} pause answered {action}"

    def answer(self, execution: HookExecution, action: str) -> None:
        """From a request thread: ContinueServiceDeployment's action for a waiting pause."""

        def settle() -> None:
            if execution.answer is not None and not execution.answer.done():
                execution.answer.set_result(action)

        self.world.loop.loop.call_soon_threadsafe(settle)

    async def _lambda(self, execution: HookExecution, timeout: float) -> tuple[bool, str]:
        hook = execution.hook
        assert hook.target_arn is not None
        function = hook.target_arn.rpartition(":")[2]
        command = self.world.hooks.commands.get(function)
        if command is None:
            execution.status = "FAILED"
            return False, f"no local command for Lambda {function} (--lambda)"
        world = self.world
        env = {"ECS_HOOK_EVENT": json.dumps(self._event(execution)), "AWS_ENDPOINT_URL": world.url}
        cwd = world.project.dir if world.project else world.settings.state_dir
        result = await run_shell(command, cwd=cwd, env=env, timeout=timeout)
        execution.status = "SUCCEEDED" if result.ok else "FAILED"
        return result.ok, f"{function} {result.detail}: {result.output}"

    def _event(self, execution: HookExecution) -> Mapping[str, object]:
        """What ECS passes a hook's function: the execution and the deployment's place."""
        return {
            "executionId": execution.hook_id,
            "lifecycleStage": execution.hook.stage,
            "executionDetails": {
                "serviceArn": self.wiring.service_arn,
                "testTrafficWeights": {"green": self.engine.test_weights.green},
                "productionTrafficWeights": {"green": self.engine.weights.green},
            },
        }
