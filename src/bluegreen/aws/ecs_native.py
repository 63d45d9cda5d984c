"""`aws-ecs`: ECS's own blue/green, linear and canary deployments (2025).

UpdateService with the new task definition and a deployment strategy
starts a service deployment, which ECS drives itself. bluegreen asks for a
PAUSE hook at POST_TEST_TRAFFIC_SHIFT (green has all test traffic,
production is still on blue): that is where the follower validates through
the test listener and answers ContinueServiceDeployment CONTINUE or
ROLLBACK — the same gate as CodeDeploy's ready wait.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from ..engine.events import Event
from ..errors import PlatformError, UsageError
from ..gate import Coordinates
from ..platform import DeploymentSummary, DeployRequest
from ..spec.deployment_config import DeploymentConfig
from ..vocabulary import ReadyAction, Status
from . import ecs_reading as reading
from .aws_durations import BAKE_TIME, HOOK_TIMEOUT
from .base import AwsPlatform
from .progress import Snapshot
from .session import aws_errors
from .shift_settings import ecs_strategy
from .test_route import ecs_test_holder, listener_of_rule, listener_url, missing_test_route

DESCRIBE_BATCH = 20
# ECS refuses BLUE_GREEN while earlySuccessCriteria (a ROLLING setting) is set;
# the strategy blocks are ours to choose for each deployment.
STRATEGY_KEYS = ("strategy", "linearConfiguration", "canaryConfiguration", "earlySuccessCriteria")
# What tells our gate hook from a user's own: what we send, less hookDetails,
# which ECS does not use for PAUSE hooks and may not echo back.
GATE_HOOK_IDENTITY = ("targetType", "lifecycleStages", "timeoutConfiguration", "hookTargetArn")


class EcsPlatform(AwsPlatform):
    name = "aws-ecs"

    @property
    def where(self) -> dict[str, str]:
        return {"cluster": self.setting("cluster"), "service": self.setting("service")}

    # -- deploy ---------------------------------------------------------------

    def deploy(self, request: DeployRequest) -> str:
        self.check_settings()
        self._wait_for_slot(request.wait_for_slot)
        settings = self.deployment_configuration(self.shift(request))
        arn = self.register_task_definition(request)
        with aws_errors("updating the service"), self._gate_hook_removed_on_error():
            self.aws.ecs.update_service(
                **self.where, taskDefinition=arn, deploymentConfiguration=settings
            )
            return self._started()

    def deployment_configuration(self, shift: DeploymentConfig) -> dict[str, Any]:
        """The service's current settings with our strategy and bake time; the
        user's own lifecycle hooks kept, with our gate hook added to them."""
        current, _ = self._current_configuration()
        for key in STRATEGY_KEYS:
            current.pop(key, None)
        current.update(ecs_strategy(shift, str(self.project.config_path)))
        current["bakeTimeInMinutes"] = BAKE_TIME.fit(
            self.config.deployment.termination_wait,
            "deployment.termination_wait",
            self.notes,
            str(self.project.config_path),
        )
        if self.gate is not None:
            current["lifecycleHooks"].append(self._pause_hook())
        return current

    def _current_configuration(self) -> tuple[dict[str, Any], bool]:
        """DescribeServices' deploymentConfiguration less any gate hook of ours
        (an earlier run's, left by `--no-wait` or a crash), and whether it had one."""
        current = dict(self._service().get("deploymentConfiguration") or {})
        hooks = current.get("lifecycleHooks") or []
        current["lifecycleHooks"] = [hook for hook in hooks if not self._is_gate_hook(hook)]
        return current, len(current["lifecycleHooks"]) < len(hooks)

    def _service(self) -> dict[str, Any]:
        with aws_errors("reading the service"):
            services = self.aws.ecs.describe_services(
                cluster=self.where["cluster"], services=[self.where["service"]]
            )["services"]
        return dict(services[0]) if services else {}

    def check_settings(self) -> None:
        """A gated deploy needs a test listener rule, else the gate would probe blue."""
        if self.gate is not None and self._listener_rule("testListenerRule") is None:
            raise missing_test_route(
                f"service {self.where['service']}",
                "loadBalancers[].advancedConfiguration.testListenerRule",
                "a testListenerRule to the service's load balancer advancedConfiguration",
            )

    def _listener_rule(self, kind: str) -> str | None:
        for balancer in self._service().get("loadBalancers") or []:
            rule = (balancer.get("advancedConfiguration") or {}).get(kind)
            if rule:
                return str(rule)
        return None

    def _is_gate_hook(self, hook: Mapping[str, Any]) -> bool:
        ours = self._pause_hook()
        return all(hook.get(key) == ours.get(key) for key in GATE_HOOK_IDENTITY)

    def remove_gate_hook(self) -> None:
        """Put the service's lifecycle hooks back as the user had them.

        A running service deployment keeps the hooks it started with, so this
        changes only what the next deployment (made by anyone) would pause at.
        """
        if self.gate is None:
            return
        current, had_gate_hook = self._current_configuration()
        if not had_gate_hook:
            return
        if current.get("strategy") != "ROLLING":
            current.pop("earlySuccessCriteria", None)
        with aws_errors("removing bluegreen's PAUSE hook from the service"):
            self.aws.ecs.update_service(**self.where, deploymentConfiguration=current)

    @contextmanager
    def _gate_hook_removed_on_error(self) -> Iterator[None]:
        try:
            yield
        except BaseException:
            self.remove_gate_hook()
            raise

    def events(self, deployment_id: str, *, follow: bool) -> Iterator[Event]:
        """Follow; once following ends, however it ends, take our gate hook off."""
        try:
            yield from super().events(deployment_id, follow=follow)
        finally:
            if follow:
                self.remove_gate_hook()

    def _pause_hook(self) -> dict[str, Any]:
        deployment = self.config.deployment
        wait = deployment.ready_wait or (self.config.validation.deadline + 600)
        field = "deployment.ready_wait" if deployment.ready_wait else "validation.deadline + 10m"
        action = (
            "CONTINUE" if deployment.ready_timeout_action is ReadyAction.CONTINUE else "ROLLBACK"
        )
        return {
            "targetType": "PAUSE",
            "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"],
            "timeoutConfiguration": {
                "timeoutInMinutes": HOOK_TIMEOUT.fit(
                    wait, field, self.notes, str(self.project.config_path)
                ),
                "action": action,
            },
        }

    def _wait_for_slot(self, wait: bool) -> None:
        """One service deployment at a time: name the active one, or wait for it."""
        pause = self.polling.first
        give_up = time.monotonic() + self.polling.timeout
        while True:
            with aws_errors("listing service deployments"):
                active = self._list(list(reading.ACTIVE))
            if not active:
                return
            arn = active[0]["serviceDeploymentArn"]
            if not wait or time.monotonic() > give_up:
                raise PlatformError(
                    f"service {self.where['service']} already has an active deployment {arn}; "
                    "follow it with `bluegreen status --watch`, stop it with `bluegreen stop`, "
                    "or deploy with --wait-for-slot"
                )
            time.sleep(pause)
            pause = self.polling.next(pause, changed=False)

    def _started(self) -> str:
        """The service deployment UpdateService just started.

        None was active before it (`_wait_for_slot`), so the newest active one
        is ours; ECS may list it a moment after UpdateService returns.
        """
        for attempt in range(10):
            active = self._list(list(reading.ACTIVE), limit=1)
            if active:
                return str(active[0]["serviceDeploymentArn"])
            time.sleep(self.polling.first * (attempt + 1) / 4)
        raise PlatformError("UpdateService succeeded but ECS lists no new service deployment")

    def _list(self, statuses: list[str] | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Service deployment briefs, newest first."""
        kwargs: dict[str, Any] = {**self.where, "maxResults": min(limit, 100)}
        if statuses:
            kwargs["status"] = statuses
        briefs = list(self.aws.ecs.list_service_deployments(**kwargs)["serviceDeployments"])
        briefs.sort(key=lambda b: b.get("createdAt") or 0, reverse=True)
        return briefs

    # -- following (the follower's DeploymentControls) ---------------------------------

    def snapshot(self, deployment_id: str) -> Snapshot:
        return reading.snapshot(self._describe([deployment_id])[0])

    def test_traffic_holder(self, ready: Snapshot) -> str | None:
        return ecs_test_holder(self._describe([ready.deployment_id])[0])

    def coordinates(self, ready: Snapshot) -> Coordinates:
        target = reading.target_revision(self._describe([ready.deployment_id])[0])
        revisions = self.aws.ecs.describe_service_revisions(serviceRevisionArns=[target])
        task_definition = str(revisions["serviceRevisions"][0]["taskDefinition"])
        rule = self._listener_rule("productionListenerRule")
        elbv2 = self.aws.client("elbv2")
        return Coordinates(
            deployment_id=ready.deployment_id,
            revision=task_definition.rpartition("/")[2],
            prod_url=listener_url(elbv2, listener_of_rule(rule)) if rule else "",
            test_url=self.config.aws.test_listener_url or "",
        )

    def resume(self, snapshot: Snapshot) -> None:
        self._answer_hook(snapshot, "CONTINUE")

    def abort(self, snapshot: Snapshot) -> None:
        if snapshot.gate_token is None:
            self.aws.ecs.stop_service_deployment(
                serviceDeploymentArn=snapshot.deployment_id, stopType="ROLLBACK"
            )
        else:
            self._answer_hook(snapshot, "ROLLBACK")

    def _answer_hook(self, snapshot: Snapshot, action: str) -> None:
        self.aws.ecs.continue_service_deployment(
            serviceDeploymentArn=snapshot.deployment_id, hookId=snapshot.gate_token, action=action
        )

    def _describe(self, arns: list[str]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for start in range(0, len(arns), DESCRIBE_BATCH):
            answer = self.aws.ecs.describe_service_deployments(
                serviceDeploymentArns=arns[start : start + DESCRIBE_BATCH]
            )
            found += answer["serviceDeployments"]
        if len(found) < len(arns):
            missing = set(arns) - {d["serviceDeploymentArn"] for d in found}
            raise UsageError(f"no such service deployment: {', '.join(sorted(missing))}")
        return found

    # -- status, history, control ------------------------------------------------

    def status(self, deployment_id: str | None = None) -> DeploymentSummary:
        with aws_errors("reading the service deployment"):
            deployment = self._describe([deployment_id or self._newest()])[0]
        return reading.summary(deployment, self.name)

    def history(self, limit: int = 20) -> list[DeploymentSummary]:
        with aws_errors("listing service deployments"):
            arns = [b["serviceDeploymentArn"] for b in self._list(limit=limit)]
            deployments = self._describe(arns)
        summaries = [reading.summary(d, self.name) for d in deployments]
        return sorted(summaries, key=lambda s: s.created, reverse=True)

    def continue_deployment(self, deployment_id: str | None = None) -> None:
        with aws_errors("continuing the service deployment"):
            current = self.snapshot(deployment_id or self._newest())
            if current.status is not Status.READY:
                raise UsageError(
                    f"{current.deployment_id} is not waiting at the test-traffic pause "
                    f"({current.status.value}); ECS has no call to end a bake time early"
                )
            self.resume(current)

    def stop(self, deployment_id: str | None = None, *, rollback: bool = True) -> None:
        if not rollback:  # ABORT is in botocore's enum, not among the values the API takes
            raise UsageError(
                "--no-rollback: ECS's StopServiceDeployment takes only the stop type "
                "ROLLBACK (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/"
                "API_StopServiceDeployment.html), so traffic would go back to blue; nothing "
                "was stopped. `bluegreen stop` rolls back"
            )
        with aws_errors("stopping the service deployment"):
            self.aws.ecs.stop_service_deployment(
                serviceDeploymentArn=deployment_id or self._newest(), stopType="ROLLBACK"
            )

    def rollback(self, to_revision: str | None = None) -> str:
        """Roll an active deployment back, else deploy an earlier task definition."""
        with aws_errors("rolling back"):
            active = self._list(list(reading.ACTIVE), limit=1)
            if active:
                arn = str(active[0]["serviceDeploymentArn"])
                self.stop(arn, rollback=True)
                return arn
            task_definition = to_revision or self._previous_task_definition()
            settings = self.deployment_configuration(self.config.deployment.config)
            self.aws.ecs.update_service(
                **self.where, taskDefinition=task_definition, deploymentConfiguration=settings
            )
            return self._started()

    def _previous_task_definition(self) -> str:
        """What the newest successful deployment replaced."""
        done = self._list(["SUCCESSFUL"], limit=1)
        if not done:
            raise UsageError(f"no successful deployment of {self.where['service']} to roll back")
        sources = self._describe([done[0]["serviceDeploymentArn"]])[0].get("sourceServiceRevisions")
        if not sources:
            raise UsageError("the newest successful deployment replaced nothing to go back to")
        revisions = self.aws.ecs.describe_service_revisions(serviceRevisionArns=[sources[0]["arn"]])
        return str(revisions["serviceRevisions"][0]["taskDefinition"])

    def _newest(self) -> str:
        briefs = self._list(limit=1)
        if not briefs:
            raise UsageError(f"no deployments of {self.where['service']} yet")
        return str(briefs[0]["serviceDeploymentArn"])
