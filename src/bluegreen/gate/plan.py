"""What one `bluegreen.toml` asks the gate to do, the same on every platform.

The plan holds the policy (streak, interval, deadline), the probe of the
test listener's validation path, and the smoke command with the one
environment every platform gives it: the hook variables of `shell`, with
`AllowTestTraffic` as the lifecycle event whose test traffic it checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..shell import ShellResult, hook_environment, run_shell
from ..spec.config import BluegreenConfig
from ..vocabulary import LifecycleEvent
from .probe import Probe
from .streak import Policy

# The lifecycle event whose test traffic the gate checks, in the smoke command's environment.
LIFECYCLE_EVENT = str(LifecycleEvent.ALLOW_TEST_TRAFFIC)


@dataclass(frozen=True)
class Coordinates:
    """Where the deployment is, for the smoke command's environment."""

    deployment_id: str
    revision: str
    prod_url: str
    test_url: str


@dataclass(frozen=True)
class GatePlan:
    policy: Policy
    probe: Probe | None
    command: str | None
    workdir: Path

    @classmethod
    def from_config(
        cls, config: BluegreenConfig, workdir: Path, test_url: str | None
    ) -> GatePlan | None:
        """The gate the config asks for through `test_url`, or None when there is
        neither a test listener to probe nor a command to run."""
        v, command = config.validation, config.validation.command
        if test_url is None and command is None:
            return None
        probe = None
        if test_url is not None:
            url = test_url.rstrip("/") + config.validation_path
            probe = Probe(url, config.health_check.matches, timeout=max(v.interval, 1.0))
        policy = Policy(
            consecutive=v.consecutive_successes if probe else 0,
            interval=v.interval,
            deadline=v.deadline,
            smoke=command is not None,
            target=probe.url if probe else "the test listener",
        )
        return cls(policy, probe, command, workdir)

    async def smoke(self, where: Coordinates, timeout: float) -> ShellResult:
        """Run the smoke command once, in the project directory."""
        assert self.command is not None, "the streak asks for a smoke command only when set"
        env = hook_environment(
            where.deployment_id, LIFECYCLE_EVENT, where.revision, where.prod_url, where.test_url
        )
        return await run_shell(self.command, cwd=self.workdir, env=env, timeout=timeout)
