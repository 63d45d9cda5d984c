"""Everything the emulator runs besides moto: the loop, the load balancer, the tasks,
and the behaviours that tie them to the API calls."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from ..lb.load_balancer import LoadBalancer
from ..spec.project import Project
from .cloudformation_resources import StackResources
from .cloudwatch_alarms import CloudWatchAlarms
from .cloudwatch_publisher import MetricPublisher
from .codedeploy_api import CodeDeployDeployments
from .codedeploy_configs import DeploymentConfigs
from .codedeploy_hooks import LambdaHooks
from .ecr_api import EcrImages
from .ecr_registry import Registry
from .ecr_store import ImageStore
from .ecs_deployments import EcsDeployments
from .ecs_tasks import EcsTasks
from .elbv2 import Elbv2
from .endpoint import Behaviour, Endpoint
from .loop_thread import LoopThread
from .moto_state import ecr_repository_exists
from .protocol import Call

if TYPE_CHECKING:
    from .emulate import EmulatorSettings


class World:
    def __init__(self, settings: EmulatorSettings, project: Project | None) -> None:
        self.settings = settings
        self.project = project
        self.loop = LoopThread()
        self.balancer = LoadBalancer()
        self.elbv2 = Elbv2(self)
        self.ecs = EcsTasks(self)
        self.url = f"http://127.0.0.1:{settings.port}"
        """The endpoint's own address (hooks get it); `serve` sets the bound port."""
        self.hooks = LambdaHooks(self, settings.lambdas)
        configs = DeploymentConfigs()
        self.registry = Registry(ImageStore(settings.state_dir / "ecr", ecr_repository_exists))
        self.registry.start()
        self.deployments = CodeDeployDeployments(self, configs)
        self.service_deployments = EcsDeployments(self)
        self.alarms = CloudWatchAlarms(self)
        self.stacks = StackResources()
        self.publishing = self.loop.spawn(MetricPublisher(self).run())
        self.parts: list[Behaviour] = [
            *(self.elbv2.behaviour(), self.ecs.behaviour()),
            *(configs.behaviour(), self.deployments.behaviour(), self.hooks.behaviour()),
            *(self.service_deployments.behaviour(), self.alarms.behaviour()),
            *(EcrImages(self.registry).behaviour(), self.behaviour()),
        ]

    @property
    def scale(self) -> float:
        """What one AWS second lasts here, in seconds (`--time-scale`)."""
        return self.settings.time_scale

    def behaviour(self) -> Behaviour:
        """A stack moto's CloudFormation made holds listeners and services that no
        ELBv2 or ECS call announced: they are taken up once the stack is stored."""
        stacks = ("CreateStack", "UpdateStack", "ExecuteChangeSet")
        return Behaviour(after={("cloudformation", op): self._stack_changed for op in stacks})

    def _stack_changed(self, call: Call) -> None:
        self.stacks.take_up(call.region)
        self.loop.run(self._adopt(call.region))

    async def _adopt(self, region: str) -> None:
        await self.elbv2.sync(region)
        await self.ecs.adopt(region)
        await self.alarms.sync(region)

    def endpoint(self, moto_app: Callable[..., Iterable[bytes]]) -> Endpoint:
        return Endpoint(moto_app, self.parts)

    def close(self) -> None:
        """Stop what runs on the loop (tasks, listeners), then the loop itself."""
        self.registry.stop()
        self.loop.run(self._close())
        self.loop.stop()

    async def _close(self) -> Any:
        await self.deployments.close()
        await self.service_deployments.close()
        await self.alarms.close()
        self.publishing.cancel()
        await self.ecs.close()
        await self.balancer.close()
