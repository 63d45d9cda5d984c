"""ECS's own service deployments: UpdateService starts one, the rest follow it.

moto stores the service (and, through us, its `deploymentConfiguration`);
the deployments and revisions are ours. Behaviour, with the page each follows:
- CreateService / UpdateService are checked first (`ecs_strategy.problems`)
  and refused with InvalidParameterException as ECS would, before moto
  stores anything.
- UpdateService of a service whose strategy is BLUE_GREEN, CANARY or LINEAR,
  with a task definition other than the one it runs (or
  `forceNewDeployment`), starts a service deployment run by our engine
  (`ecs_run.py`) into the target group of the pair the service does not
  serve from (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/blue-green-deployment-how-it-works.html).
  One runs at a time per service: another such UpdateService meanwhile is
  refused, naming it (the emulator's choice; ECS documents no such limit).
- ListServiceDeployments / DescribeServiceDeployments / DescribeServiceRevisions
  (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-deployment.html).
- ContinueServiceDeployment answers a PAUSE hook in AWAITING_ACTION with
  CONTINUE or ROLLBACK (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/continue-service-deployment.html).
- StopServiceDeployment ROLLBACK moves traffic back to the source revision
  and stops green's tasks; ABORT (in the model's enum, though the API
  reference lists only ROLLBACK) stops it where it is; a finished one is a
  ConflictException (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_StopServiceDeployment.html).
Every duration is multiplied by `--time-scale`.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from ..engine.deployment import Deployment
from ..engine.deployment_settings import DeploymentSettings, ValidationSettings
from ..engine.inputs import StopRequested
from ..vocabulary import AutoRollback, Status
from . import ecs_strategy as strategy
from . import ecs_views as views
from . import moto_state
from .codedeploy_plan import INSTALL_TIMEOUT
from .codedeploy_run import Wiring
from .ecs_run import NativeRun
from .ecs_views import Revision, ServiceDeployment
from .endpoint import Behaviour
from .protocol import AwsError, Call

if TYPE_CHECKING:
    from .world import World

HOOK_GRACE = 1.0
"""Seconds the engine gives a stage's hooks past their own timeout, so that the
hooks' timeout action (CONTINUE or ROLLBACK) decides, not the engine's."""
T = TypeVar("T")
FINAL = frozenset({"SUCCESSFUL", "STOPPED", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED"})


def _now() -> datetime:
    return datetime.now(UTC)


def _invalid(message: str) -> AwsError:
    return AwsError("InvalidParameterException", message)


class EcsDeployments:
    def __init__(self, world: World) -> None:
        self.world = world
        self.entries: dict[str, ServiceDeployment] = {}
        self.revisions: dict[str, Revision] = {}
        self.current: dict[str, Revision] = {}
        """Service ARN → the revision it runs (its last successful deployment's)."""
        self.active: dict[str, str] = {}
        self.serving: dict[str, str] = {}
        """Service ARN → the target group production is on since its last deployment."""
        self._lock = threading.Lock()

    def behaviour(self) -> Behaviour:
        ecs = "ecs"
        return Behaviour(
            own={
                (ecs, "ListServiceDeployments"): self.list,
                (ecs, "DescribeServiceDeployments"): self.describe,
                (ecs, "DescribeServiceRevisions"): self.describe_revisions,
                (ecs, "ContinueServiceDeployment"): self.continue_,
                (ecs, "StopServiceDeployment"): self.stop,
            },
            before={
                (ecs, "CreateService"): self._check_create,
                (ecs, "UpdateService"): self._check_update,
            },
            after={
                (ecs, "CreateService"): self._created,
                (ecs, "UpdateService"): self._updated,
            },
        )

    # -- CreateService / UpdateService --------------------------------------------------

    def _check_create(self, call: Call) -> None:
        p = call.params
        controller = (p.get("deploymentController") or {}).get("type", "ECS")
        _refuse(strategy.problems(p.get("deploymentConfiguration") or {}, controller, _lbs(p)))

    def _created(self, call: Call) -> None:
        p = call.params
        service = moto_state.service(call.region, p.get("cluster", "default"), p["serviceName"])
        moto_state.set_deployment_configuration(service, p.get("deploymentConfiguration") or {})
        if service.task_definition:
            self.current[service.arn] = self._revision(
                call.region, service, service.task_definition
            )

    def _check_update(self, call: Call) -> None:
        p = call.params
        try:
            service = moto_state.service(call.region, p.get("cluster", "default"), p["service"])
        except KeyError:
            return  # moto answers ServiceNotFoundException
        configuration = _configuration(p, service)
        controller = service.deployment_controller.get("type", "ECS")
        _refuse(strategy.problems(configuration, controller, _lbs(p) or service.load_balancers))
        active = self.active.get(service.arn)
        if active and self._starts(call, service, configuration):
            raise _invalid(f"service deployment {active} is in progress; stop it or wait for it")

    def _updated(self, call: Call) -> None:
        p = call.params
        service = moto_state.service(call.region, p.get("cluster", "default"), p["service"])
        if self._starts(call, service, moto_state.deployment_configuration(service)):
            self._start(call.region, service)

    def _starts(self, call: Call, service: Any, configuration: Mapping[str, Any]) -> bool:
        """Whether this UpdateService makes a new service revision to deploy natively."""
        if strategy.strategy(configuration) not in strategy.NATIVE:
            return False
        if call.params.get("forceNewDeployment"):
            return True
        wanted = call.params.get("taskDefinition")
        current = self.current.get(service.arn)
        if not wanted or current is None:
            return bool(wanted)
        return _taskdef_arn(call.region, wanted) != current.taskdef_arn

    def _start(self, region: str, service: Any) -> None:
        configuration = moto_state.deployment_configuration(service)
        route = strategy.routing(service.load_balancers)
        blue = self.serving.get(service.arn, route.target_group)
        green = route.alternate_group if blue == route.target_group else route.target_group
        source = self.current[service.arn]
        target = self._revision(region, service, _taskdef_arn(region, service.task_definition))
        wiring = Wiring(
            region, service.arn, target.taskdef_arn, blue, green,
            route.production_rule, route.test_rule,
        )  # fmt: skip
        arn = _arn(region, "service-deployment", service)
        hooks = strategy.hooks(configuration)
        engine = Deployment(arn, self._settings(region, configuration, service, source, hooks))
        run = NativeRun(self.world, engine, wiring, lambda: self._ended(entry), hooks)
        created = _now()
        entry = ServiceDeployment(
            arn, service.cluster_arn, created, dict(configuration), target, source, run,
            started=created,
        )  # fmt: skip
        with self._lock:
            self.entries[arn] = entry
            self.active[service.arn] = arn
        self.world.loop.spawn(run.run())

    def _settings(
        self,
        region: str,
        configuration: Mapping[str, Any],
        service: Any,
        source: Revision,
        hooks: tuple[strategy.Hook, ...],
    ) -> DeploymentSettings:
        scale = self.world.scale
        timeouts: dict[Any, float] = {}
        for hook in hooks:
            seconds = hook.timeout_minutes * strategy.MINUTE * scale + HOOK_GRACE
            timeouts[hook.event] = max(timeouts.get(hook.event, 0.0), seconds)
        return DeploymentSettings(
            revision=_family_revision(region, service.task_definition),
            blue_revision=_family_revision(region, source.taskdef_arn),
            desired_count=max(1, int(service.desired_count)),
            schedule=strategy.schedule(configuration, scale),
            config_name=strategy.strategy(configuration),
            hooks=timeouts,
            install_timeout=INSTALL_TIMEOUT * scale,
            validation=ValidationSettings(
                consecutive_successes=1, deadline=INSTALL_TIMEOUT * scale
            ),
            ready_wait=0.0,
            termination_wait=strategy.bake_time(configuration, scale),
            auto_rollback=frozenset(AutoRollback),
        )

    def _ended(self, entry: ServiceDeployment) -> None:
        """On the loop, once the engine finished: free the service, settle what it runs."""
        entry.ended = _now()
        run = entry.run
        with self._lock:
            self.active.pop(entry.target.service_arn, None)
        if run.engine.status is Status.SUCCEEDED:
            self.serving[entry.target.service_arn] = run.wiring.green_group
            self.current[entry.target.service_arn] = entry.target
        elif views.rolls_back(entry):
            moto_state.set_service_task_definition(
                run.wiring.region, entry.target.service_arn, entry.source.taskdef_arn
            )

    def _revision(self, region: str, service: Any, taskdef_arn: str) -> Revision:
        found = Revision(
            _arn(region, "service-revision", service),
            service.arn,
            service.cluster_arn,
            taskdef_arn,
            _now(),
            tuple(service.load_balancers or ()),
        )
        self.revisions[found.arn] = found
        return found

    # -- reads ----------------------------------------------------------------------------

    def list(self, call: Call) -> Mapping[str, Any]:
        p = call.params
        cluster = p.get("cluster", "default")
        try:
            service_arn = moto_state.service(call.region, cluster, p["service"]).arn
        except KeyError:
            raise AwsError(
                "ServiceNotFoundException", f"Service not found: {p['service']}"
            ) from None
        wanted = set(p.get("status") or ())
        window = p.get("createdAt") or {}
        found = [
            views.brief(e)
            for e in sorted(self.entries.values(), key=lambda e: e.created, reverse=True)
            if e.target.service_arn == service_arn
            and (not wanted or views.status_of(e) in wanted)
            and _within(e.created, window)
        ]
        start = int(p.get("nextToken") or 0)
        end = start + int(p.get("maxResults") or 20)
        page: dict[str, Any] = {"serviceDeployments": found[start:end]}
        if end < len(found):
            page["nextToken"] = str(end)
        return page

    def describe(self, call: Call) -> Mapping[str, Any]:
        found, failures = _by_arn(self.entries, call.params["serviceDeploymentArns"])
        return {"serviceDeployments": [views.deployment(e) for e in found], "failures": failures}

    def describe_revisions(self, call: Call) -> Mapping[str, Any]:
        found, failures = _by_arn(self.revisions, call.params["serviceRevisionArns"])
        return {"serviceRevisions": [views.revision(r) for r in found], "failures": failures}

    # -- control --------------------------------------------------------------------------

    def continue_(self, call: Call) -> Mapping[str, Any]:
        p = call.params
        entry = self._entry(p["serviceDeploymentArn"])
        action = p.get("action", "CONTINUE")
        waiting = [
            e for e in entry.run.executions
            if e.hook_id == p["hookId"] and e.status == "AWAITING_ACTION"
        ]  # fmt: skip
        if not waiting or views.status_of(entry) in FINAL:
            raise _invalid(f"no lifecycle hook {p['hookId']} is awaiting action in {entry.arn}")
        if action == "ROLLBACK":
            entry.requested, entry.rollback_started = "ROLLBACK", _now()
        entry.run.answer(waiting[0], action)
        return {"serviceDeploymentArn": entry.arn}

    def stop(self, call: Call) -> Mapping[str, Any]:
        entry = self._entry(call.params["serviceDeploymentArn"])
        if views.status_of(entry) in FINAL:
            raise AwsError("ConflictException", f"service deployment {entry.arn} has finished")
        stop_type = call.params.get("stopType", "ROLLBACK")
        entry.requested = stop_type
        if stop_type == "ROLLBACK":
            entry.rollback_started = _now()
        at = self.world.loop.loop.time()
        entry.run.submit(StopRequested(at=at, rollback=stop_type == "ROLLBACK"))
        return {"serviceDeploymentArn": entry.arn}

    def _entry(self, arn: str) -> ServiceDeployment:
        found = self.entries.get(arn)
        if found is None:
            raise AwsError(
                "ServiceDeploymentNotFoundException", f"service deployment {arn} does not exist"
            )
        return found

    async def close(self) -> None:
        for entry in list(self.entries.values()):
            await entry.run.cancel()


def _by_arn(known: Mapping[str, T], arns: list[str]) -> tuple[list[T], list[dict[str, str]]]:
    """The known ones, and a MISSING failure for each of the others."""
    found = [known[arn] for arn in arns if arn in known]
    return found, [{"arn": arn, "reason": "MISSING"} for arn in arns if arn not in known]


def _refuse(problems: list[str]) -> None:
    if problems:
        raise _invalid("; ".join(problems))


def _lbs(params: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list(params.get("loadBalancers") or [])


def _configuration(params: Mapping[str, Any], service: Any) -> Mapping[str, Any]:
    """What the service's deployment settings will be once this UpdateService is stored."""
    sent = params.get("deploymentConfiguration")
    return sent if sent is not None else moto_state.deployment_configuration(service)


def _arn(region: str, kind: str, service: Any) -> str:
    cluster = str(service.cluster_arn).rpartition("/")[2]
    name = f"{cluster}/{service.name}/{secrets.token_hex(10)}"
    return f"arn:aws:ecs:{region}:{moto_state.ACCOUNT}:{kind}/{name}"


def _taskdef_arn(region: str, ref: str) -> str:
    try:
        return str(moto_state.ecs(region).describe_task_definition(ref).arn)
    except Exception:
        raise AwsError("ClientException", f"task definition {ref} is not registered") from None


def _family_revision(region: str, ref: str) -> str:
    found = moto_state.ecs(region).describe_task_definition(ref)
    return f"{found.family}:{found.revision}"


def _within(created: datetime, window: Mapping[str, Any]) -> bool:
    after, before = window.get("after"), window.get("before")
    stamp = created.timestamp()
    return (after is None or stamp >= float(after)) and (before is None or stamp <= float(before))
