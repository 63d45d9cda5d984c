"""CodeDeploy deployments for ECS: the API calls, answered from the engine's state.

moto keeps applications and deployment groups; deployments are ours
(moto's settle nowhere). Behaviour, with the page each follows:
- CreateDeployment: one active deployment per group, else
  `DeploymentLimitExceededException` naming the active one (the message
  CodeDeploy gives, CircleCI-Public/aws-ecs-orb#181); the request's
  `deploymentConfigName` overrides the group's, and with neither it is
  `CodeDeployDefault.OneAtATime`, which ECS refuses
  (https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_CreateDeployment.html).
- GetDeployment / BatchGetDeployments / ListDeployments: status, overview,
  errorInformation and rollbackInfo as CodeDeploy reports them.
- ListDeploymentTargets / BatchGetDeploymentTargets: the ECS target
  (`cluster:service`) with its lifecycle events and both task sets' traffic
  weights (https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_ECSTarget.html).
- ContinueDeployment READY_WAIT / TERMINATION_WAIT and StopDeployment with
  or without rollback (https://docs.aws.amazon.com/codedeploy/latest/userguide/deployments-stop.html).
- A rollback is a new deployment, `creator` codeDeployRollback, and the one
  it undid carries `rollbackInfo` pointing to it
  (https://docs.aws.amazon.com/codedeploy/latest/userguide/deployments-rollback-and-redeploy.html).
"""

from __future__ import annotations

import random
import string
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..engine.deployment import Deployment
from ..engine.inputs import ContinueRequested, StopRequested
from ..engine.transitions import Phase
from ..vocabulary import TERMINAL, Status
from . import codedeploy_views as views
from . import moto_state
from .codedeploy_configs import DeploymentConfigs
from .codedeploy_plan import plan
from .codedeploy_run import DeploymentRun
from .endpoint import Behaviour
from .protocol import AwsError, Call

if TYPE_CHECKING:
    from .world import World

FALLBACK_CONFIG = "CodeDeployDefault.OneAtATime"
WAITS = {"READY_WAIT": Phase.READY_WAIT, "TERMINATION_WAIT": Phase.TERMINATION_WAIT}


def new_id() -> str:
    return "d-" + "".join(random.choices(string.ascii_uppercase + string.digits, k=9))


@dataclass
class Entry:
    """One deployment: its request, and the run (None for a rollback's record)."""

    deployment_id: str
    application: str
    group: str
    config_name: str
    request: Mapping[str, Any]
    created: datetime
    run: DeploymentRun | None
    creator: str = "user"
    ended: datetime | None = None
    rollback_info: dict[str, Any] = field(default_factory=dict)
    undid: Entry | None = None
    """For a rollback's record: the deployment it rolled back."""


class CodeDeployDeployments:
    def __init__(self, world: World, configs: DeploymentConfigs) -> None:
        self.world = world
        self.configs = configs
        self.entries: dict[str, Entry] = {}
        self.active: dict[tuple[str, str], str] = {}
        self.serving: dict[str, str] = {}
        """ECS service ARN → the target group it serves from since its last deployment."""
        self._lock = threading.Lock()

    def behaviour(self) -> Behaviour:
        name = "codedeploy"
        return Behaviour(
            own={
                (name, "CreateDeployment"): self.create,
                (name, "GetDeployment"): self.get,
                (name, "BatchGetDeployments"): self.batch_get,
                (name, "ListDeployments"): self.list,
                (name, "ListDeploymentTargets"): self.list_targets,
                (name, "BatchGetDeploymentTargets"): self.batch_get_targets,
                (name, "GetDeploymentTarget"): self.get_target,
                (name, "ContinueDeployment"): self.continue_,
                (name, "StopDeployment"): self.stop,
            }
        )

    # -- create -------------------------------------------------------------------

    def create(self, call: Call) -> Mapping[str, Any]:
        p = call.params
        app, group_name = p["applicationName"], p["deploymentGroupName"]
        group = self._group(call.region, app, group_name)
        config_name = p.get("deploymentConfigName") or group.deployment_config_name
        config = self.configs.get(config_name or FALLBACK_CONFIG)
        found = plan(call.region, group, p, config, self.world.scale, self.serving)
        with self._lock:
            active = self.active.get((app, group_name))
            if active is not None:
                raise AwsError(
                    "DeploymentLimitExceededException",
                    f"The Deployment Group '{group_name}' already has an active Deployment "
                    f"'{active}'",
                )
            deployment_id = new_id()
            engine = Deployment(deployment_id, found.settings)
            entry = Entry(deployment_id, app, group_name, config.name, p, _now(), None)
            entry.run = DeploymentRun(self.world, engine, found.wiring, lambda: self._ended(entry))
            self.entries[deployment_id] = entry
            self.active[(app, group_name)] = deployment_id
        self.world.loop.spawn(entry.run.run())
        return {"deploymentId": deployment_id}

    def _group(self, region: str, app: str, name: str) -> Any:
        try:
            return moto_state.codedeploy(region).get_deployment_group(app, name)
        except Exception as exc:  # moto's own not-found errors carry AWS's codes
            code = getattr(exc, "error_type", "DeploymentGroupDoesNotExistException")
            raise AwsError(str(code), str(getattr(exc, "message", exc))) from None

    def _ended(self, entry: Entry) -> None:
        """On the loop, once the engine finished: free the group, record a rollback."""
        assert entry.run is not None
        engine, wiring = entry.run.engine, entry.run.wiring
        entry.ended = _now()
        with self._lock:
            self.active.pop((entry.application, entry.group), None)
        if engine.status is Status.SUCCEEDED:
            self.serving[wiring.service_arn] = wiring.green_group
            moto_state.set_service_task_definition(
                wiring.region, wiring.service_arn, wiring.taskdef_arn
            )
        elif engine.effects.rolled_back:
            self._record_rollback(entry)

    def _record_rollback(self, entry: Entry) -> None:
        rollback = Entry(
            new_id(),
            entry.application,
            entry.group,
            entry.config_name,
            entry.request,
            _now(),
            None,
            creator="codeDeployRollback",
            ended=_now(),
            undid=entry,
        )
        rollback.rollback_info = {
            "rollbackTriggeringDeploymentId": entry.deployment_id,
            "rollbackMessage": f"Automatic rollback of {entry.deployment_id}",
        }
        entry.rollback_info = {
            "rollbackDeploymentId": rollback.deployment_id,
            "rollbackMessage": f"Deployment rolled back by {rollback.deployment_id}",
        }
        with self._lock:
            self.entries[rollback.deployment_id] = rollback

    # -- reads --------------------------------------------------------------------

    def entry(self, deployment_id: str) -> Entry:
        found = self.entries.get(deployment_id)
        if found is None:
            raise AwsError(
                "DeploymentDoesNotExistException",
                f"The deployment {deployment_id} could not be found",
            )
        return found

    def get(self, call: Call) -> Mapping[str, Any]:
        return {"deploymentInfo": views.deployment_info(self.entry(call.params["deploymentId"]))}

    def batch_get(self, call: Call) -> Mapping[str, Any]:
        ids = [i for i in call.params["deploymentIds"] if i in self.entries]
        return {"deploymentsInfo": [views.deployment_info(self.entries[i]) for i in ids]}

    def list(self, call: Call) -> Mapping[str, Any]:
        p = call.params
        app, group = p.get("applicationName"), p.get("deploymentGroupName")
        statuses = set(p.get("includeOnlyStatuses") or ())
        ids = [
            e.deployment_id
            for e in list(self.entries.values())
            if (app is None or e.application == app)
            and (group is None or e.group == group)
            and (not statuses or views.status_of(e) in statuses)
        ]
        return {"deployments": ids}

    def list_targets(self, call: Call) -> Mapping[str, Any]:
        entry = self.entry(call.params["deploymentId"])
        return {"targetIds": [views.target_id(entry)]}

    def batch_get_targets(self, call: Call) -> Mapping[str, Any]:
        entry = self.entry(call.params["deploymentId"])
        wanted = call.params.get("targetIds") or []
        unknown = [t for t in wanted if t != views.target_id(entry)]
        if unknown:
            raise AwsError(
                "DeploymentTargetDoesNotExistException", f"no deployment target {unknown[0]}"
            )
        return {"deploymentTargets": [views.deployment_target(entry)] if wanted else []}

    def get_target(self, call: Call) -> Mapping[str, Any]:
        entry = self.entry(call.params["deploymentId"])
        if call.params.get("targetId") != views.target_id(entry):
            raise AwsError("DeploymentTargetDoesNotExistException", "no such deployment target")
        return {"deploymentTarget": views.deployment_target(entry)}

    # -- control ------------------------------------------------------------------

    def continue_(self, call: Call) -> Mapping[str, Any]:
        entry = self.entry(call.params["deploymentId"])
        wait = call.params.get("deploymentWaitType", "READY_WAIT")
        run = self._running(entry)
        if run.engine.phase is not WAITS[wait]:
            raise AwsError(
                "DeploymentIsNotInReadyStateException",
                f"The deployment {entry.deployment_id} is not waiting for {wait}",
            )
        run.submit(ContinueRequested(at=self.world.loop.loop.time()))
        return {}

    def stop(self, call: Call) -> Mapping[str, Any]:
        entry = self.entry(call.params["deploymentId"])
        run = self._running(entry)
        rollback = call.params.get("autoRollbackEnabled")
        run.submit(StopRequested(at=self.world.loop.loop.time(), rollback=rollback))
        return {"status": "Pending", "statusMessage": "Stopping the deployment"}

    def _running(self, entry: Entry) -> DeploymentRun:
        if entry.run is None or views.status_of(entry) in TERMINAL:
            raise AwsError(
                "DeploymentAlreadyCompletedException",
                f"The deployment {entry.deployment_id} has already completed",
            )
        return entry.run

    async def close(self) -> None:
        for entry in list(self.entries.values()):
            if entry.run is not None:
                await entry.run.cancel()


def _now() -> datetime:
    return datetime.now(UTC)
