"""AppSpec hooks: each hook's Lambda function is a local command, by name.

`bluegreen aws emulate --lambda CodeDeployHook_smoke='pytest tests/smoke'`
maps a function name to a shell command. At the hook's lifecycle event
the command runs with what CodeDeploy's invocation event carries
(`DeploymentId`, `LifecycleEventHookExecutionId`) in its environment, plus
`AWS_ENDPOINT_URL`, and reports as a Lambda must, through
PutLifecycleEventHookExecutionStatus with Succeeded or Failed; no status
before the hook's timeout fails it
(https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-hooks.html).
A command that exits non-zero before reporting is taken as the function
failing, and so is a function name with no command.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..engine.inputs import HookFinished
from ..shell import run_shell
from ..vocabulary import LifecycleEvent
from .endpoint import Behaviour
from .protocol import AwsError, Call

if TYPE_CHECKING:
    from .codedeploy_run import DeploymentRun
    from .world import World

log = logging.getLogger(__name__)

REPORTABLE = ("Succeeded", "Failed")


@dataclass
class Execution:
    run: DeploymentRun
    event: LifecycleEvent
    reported: bool = False


class LambdaHooks:
    def __init__(self, world: World, commands: Mapping[str, str]) -> None:
        self.world = world
        self.commands = dict(commands)
        self.executions: dict[str, Execution] = {}

    def behaviour(self) -> Behaviour:
        operation = ("codedeploy", "PutLifecycleEventHookExecutionStatus")
        return Behaviour(own={operation: self.put_status})

    async def invoke(self, run: DeploymentRun, event: LifecycleEvent, timeout: float) -> None:
        """Run the event's function; its exit only matters when it failed unreported."""
        function = dict(run.wiring.hooks)[event.value]
        execution_id = str(uuid.uuid4())
        execution = self.executions[execution_id] = Execution(run, event)
        command = self.commands.get(function)
        if command is None:
            self._finish(execution, False, f"no local command for Lambda {function} (--lambda)")
            return
        env = {
            "DeploymentId": run.engine.deployment_id,
            "LifecycleEventHookExecutionId": execution_id,
            "AWS_ENDPOINT_URL": self.world.url,
        }
        cwd = self.world.project.dir if self.world.project else self.world.settings.state_dir
        result = await run_shell(command, cwd=cwd, env=env, timeout=timeout)
        if not result.ok and not execution.reported:
            self._finish(execution, False, f"{function} {result.detail}: {result.output}")

    def put_status(self, call: Call) -> Mapping[str, Any]:
        p = call.params
        execution_id = p["lifecycleEventHookExecutionId"]
        execution = self.executions.get(execution_id)
        if execution is None or execution.run.engine.deployment_id != p["deploymentId"]:
            raise AwsError(
                "InvalidLifecycleEventHookExecutionIdException",
                f"no hook execution {execution_id} in deployment {p['deploymentId']}",
            )
        if p["status"] not in REPORTABLE:
            raise AwsError(
                "InvalidLifecycleEventHookExecutionStatusException",
                f"status {p['status']!r}: only Succeeded and Failed can be reported",
            )
        if execution.reported:
            raise AwsError(
                "LifecycleEventAlreadyCompletedException",
                f"hook execution {execution_id} already reported",
            )
        self._finish(execution, p["status"] == "Succeeded", f"reported {p['status']}")
        return {"lifecycleEventHookExecutionId": execution_id}

    def _finish(self, execution: Execution, ok: bool, detail: str) -> None:
        execution.reported = True
        run = execution.run
        at = self.world.loop.loop.time()
        run.submit(HookFinished(at=at, event=execution.event, ok=ok, detail=detail))
