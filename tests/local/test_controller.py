"""The controller on its own: a recording port, a fake clock, the real engine.

Each test drives one deployment from `begin` to the port's `finished` and
checks the effects the port saw, in order. Timers move only when the test
advances the fake clock, so a canary with 10 s steps takes no real time;
the only socket is the test listener that validation probes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bluegreen.engine.deployment import Deployment, replay
from bluegreen.engine.events import EventKind
from bluegreen.engine.inputs import TaskSetRole, from_dict
from bluegreen.errors import PlatformError
from bluegreen.lb.target import TargetState
from bluegreen.lb.target_health import Reason, ReasonCode
from bluegreen.local.controller import (
    ALARM_POLL,
    CRASHES_BEFORE_FAILED,
    MISBOUND_FOR,
    PORT_POLL,
    Controller,
)
from bluegreen.shell import ShellResult
from bluegreen.spec.config import BluegreenConfig
from bluegreen.spec.engine_settings import deployment_settings
from bluegreen.vocabulary import Status

from .fake_port import FakeClock, FakePort, metrics, probe_server

STEP = 10.0  # the canary's interval
TERMINATION_WAIT = 30.0


def make_config(hooks: dict[str, str] | None = None, **deployment: Any) -> BluegreenConfig:
    return BluegreenConfig.model_validate(
        {
            "service": {
                "name": "web",
                "desired_count": 2,
                "container": "web",
                "container_port": 80,
            },
            "deployment": {
                "config": {"type": "canary", "percent": 20, "interval": f"{STEP:g}s"},
                "termination_wait": f"{TERMINATION_WAIT:g}s",
                "alarms": {"error_rate": 0.2, "window": "1s", "min_requests": 5},
                **deployment,
            },
            "validation": {"path": "/health", "consecutive_successes": 2, "interval": "1ms"},
            "hooks": hooks or {},
        }
    )


class Scenario:
    """One controller over a FakePort and a FakeClock, with the steps tests repeat."""

    def __init__(self, port: FakePort, config: BluegreenConfig) -> None:
        self.port = port
        self.clock = FakeClock()
        settings = deployment_settings(config, "web:2", "web:1")
        self.controller = Controller(port, self.clock, Deployment("d-1", settings), config)
        self.settings = settings

    async def green_healthy(self) -> None:
        """Green's tasks launch and both targets turn healthy."""
        await self.port.until(lambda: bool(self.port.named("launch_green")))
        await self.port.until(lambda: self.controller.green_count is not None)
        self.port.healthy = 2
        self.controller.green_target_changed("127.0.0.1:1", TargetState.HEALTHY)

    async def shifted_to(self, green: int) -> None:
        await self.port.until(lambda: green in self.port.production_weights())

    async def ended(self) -> tuple[Any, ...]:
        await asyncio.wait_for(self.port.ended.wait(), 5)
        assert self.controller.loop_task is not None
        await asyncio.wait_for(self.controller.loop_task, 5)
        return self.port.named("finished")[-1]

    def replayed_events_match(self) -> bool:
        """The inputs the port persisted rebuild exactly the events the engine recorded."""
        rebuilt = replay("d-1", self.settings, [from_dict(i) for i in self.port.inputs])
        recorded = [e for e in self.port.events if e.kind is not EventKind.TARGET]
        return rebuilt.events == recorded


def run(
    scenario: Callable[[Scenario], Awaitable[None]],
    tmp_path: Path,
    hooks: dict[str, str] | None = None,
    **deployment: Any,
) -> FakePort:
    async def main() -> FakePort:
        async with probe_server() as (url, _status):
            port = FakePort(project_dir=tmp_path, test_url=url)
            test = Scenario(port, make_config(hooks, **deployment))
            test.controller.begin()
            await scenario(test)
            return port

    return asyncio.run(main())


def test_a_full_canary_shifts_then_terminates_blue_after_the_wait(tmp_path: Path) -> None:
    async def canary(test: Scenario) -> None:
        await test.green_healthy()
        await test.shifted_to(20)
        test.clock.advance(STEP)
        await test.shifted_to(100)
        assert not test.port.named("terminate")  # blue waits for the termination wait
        test.clock.advance(TERMINATION_WAIT)
        assert await test.ended() == ("finished", Status.SUCCEEDED, True)
        assert test.replayed_events_match()

    port = run(canary, tmp_path)
    assert port.named("launch_green") == [("launch_green", "web:2", 2)]
    assert port.production_weights()[-2:] == [20, 100]
    assert port.named("terminate") == [("terminate", TaskSetRole.BLUE)]
    assert port.events[-1].status is Status.SUCCEEDED
    persisted = [call for call in port.calls if call[0] == "persist_input"]
    assert persisted[0] == ("persist_input", "Started")


def test_blue_is_reported_terminated_and_the_deployment_over_only_once_its_tasks_stopped(
    tmp_path: Path,
) -> None:
    async def canary(test: Scenario) -> None:
        test.port.stopped = asyncio.Event()
        await test.green_healthy()
        await test.shifted_to(20)
        test.clock.advance(STEP)
        await test.shifted_to(100)
        test.clock.advance(TERMINATION_WAIT)
        await test.port.until(lambda: bool(test.port.named("terminate")))
        told = [e.message for e in test.port.events]
        assert "blue task set terminated" not in told, told[-3:]
        assert test.port.events[-1].status is not Status.SUCCEEDED
        test.port.stopped.set()
        assert await test.ended() == ("finished", Status.SUCCEEDED, True)
        told = [e.message for e in test.port.events]
        assert told[-2:] == ["blue task set terminated", "deployed web:2"], told[-3:]

    run(canary, tmp_path)


def test_green_that_keeps_crashing_fails_and_is_terminated(tmp_path: Path) -> None:
    async def crashing(test: Scenario) -> None:
        await test.port.until(lambda: test.controller.green_count is not None)
        for _ in range(CRASHES_BEFORE_FAILED):
            test.controller.green_task_exited(1, "Traceback: no module named app")
        assert await test.ended() == ("finished", Status.FAILED, False)

    port = run(crashing, tmp_path)
    assert ("terminate", TaskSetRole.GREEN) in port.calls
    assert all(green == 0 for green in port.production_weights())
    why = "tasks exited 3 times (last exit code 1, last output: Traceback: no module named app)"
    assert why in port.events[-1].message


def test_a_stop_in_the_ready_wait_rolls_back(tmp_path: Path) -> None:
    async def stopped(test: Scenario) -> None:
        await test.green_healthy()
        await test.port.until(lambda: test.controller.deployment.status is Status.READY)
        test.controller.request_stop(rollback=True)
        assert await test.ended() == ("finished", Status.STOPPED, False)

    port = run(stopped, tmp_path, ready_wait="60s")
    assert ("terminate", TaskSetRole.GREEN) in port.calls
    assert ("terminate", TaskSetRole.BLUE) not in port.calls
    assert port.production_weights() == [0] * len(port.production_weights())


def test_an_alarm_during_the_shift_rolls_back_to_blue(tmp_path: Path) -> None:
    async def alarmed(test: Scenario) -> None:
        await test.green_healthy()
        await test.shifted_to(20)
        test.port.green_snapshot = metrics(requests=50, errors=25)
        test.clock.advance(ALARM_POLL)  # the watch looks again
        assert await test.ended() == ("finished", Status.STOPPED, False)
        assert test.replayed_events_match()

    port = run(alarmed, tmp_path)
    assert port.production_weights()[-1] == 0
    assert ("terminate", TaskSetRole.GREEN) in port.calls
    alarms = [e for e in port.events if e.kind is EventKind.ALARM]
    assert alarms and "5xx rate 50.0%" in alarms[0].message


def test_hooks_run_in_order_and_a_failing_one_fails_the_deployment(tmp_path: Path) -> None:
    hooks = {"AfterInstall": "smoke-ok", "AfterAllowTestTraffic": "smoke-bad"}

    async def hooked(test: Scenario) -> None:
        test.port.hook_results["smoke-bad"] = ShellResult(False, 3, "boom\n", "exited 3")
        await test.green_healthy()
        assert await test.ended() == ("finished", Status.FAILED, False)

    port = run(hooked, tmp_path, hooks=hooks)
    assert port.named("run_hook") == [
        ("run_hook", "smoke-ok", "AfterInstall"),
        ("run_hook", "smoke-bad", "AfterAllowTestTraffic"),
    ]
    assert any("boom" in e.message or "boom" in str(e.details) for e in port.events)
    assert ("terminate", TaskSetRole.GREEN) in port.calls


def test_a_launch_the_port_refuses_fails_green_with_its_reason(tmp_path: Path) -> None:
    async def refused(test: Scenario) -> None:
        test.port.fail_next["launch_green"] = PlatformError("no such revision")
        assert await test.ended() == ("finished", Status.FAILED, False)

    port = run(refused, tmp_path)
    assert not port.named("terminate")  # nothing was launched, nothing to terminate
    assert any("no such revision" in e.message for e in port.events)


def test_an_error_from_the_port_mid_way_undoes_and_records_failed(tmp_path: Path) -> None:
    async def broken(test: Scenario) -> None:
        await test.green_healthy()
        await test.shifted_to(20)
        test.port.fail_next["set_weights"] = OSError("listener gone")
        test.clock.advance(STEP)
        assert await test.ended() == ("finished", Status.FAILED, False)

    port = run(broken, tmp_path)
    last = port.events[-1]
    assert last.status is Status.FAILED and "listener gone" in last.message
    assert port.production_weights()[-1] == 0  # back on blue once the port answered again
    assert ("terminate", TaskSetRole.GREEN) in port.calls


def test_targets_tell_their_reason_and_the_install_timeout_names_each(tmp_path: Path) -> None:
    timeout = Reason(ReasonCode.TIMEOUT, "Request timed out", "no answer within 2000 ms")

    async def unhealthy(test: Scenario) -> None:
        await test.port.until(lambda: test.controller.green_count is not None)
        test.controller.green_target_changed("127.0.0.1:5", TargetState.UNHEALTHY, timeout)
        test.controller.green_target_changed("127.0.0.1:6", TargetState.HEALTHY)
        test.clock.advance(test.settings.install_timeout)
        assert await test.ended() == ("finished", Status.FAILED, False)
        assert test.replayed_events_match()

    port = run(unhealthy, tmp_path)
    target = next(e for e in port.events if e.kind is EventKind.TARGET)
    assert target.details["reason"] == "Target.Timeout"
    assert target.message == (
        "green target 127.0.0.1:5 unhealthy "
        "(Target.Timeout: Request timed out; no answer within 2000 ms)"
    )
    assert port.events[-1].message.endswith(
        "green not healthy within 300s: 127.0.0.1:5 unhealthy "
        "(Target.Timeout: Request timed out; no answer within 2000 ms); 127.0.0.1:6 healthy"
    )


async def ports_polled(test: Scenario) -> None:
    """Until the port watch has looked at the clock's time and sleeps again."""
    due = test.clock.time + PORT_POLL
    await test.port.until(lambda: any(abs(at - due) < 1e-6 for at, _ in test.clock.sleepers))


def test_a_green_task_on_the_wrong_port_fails_the_set_at_once(tmp_path: Path) -> None:
    why = "task 1 listens on 0.0.0.0:80, not on $PORT=5000; set `[local] command` ..."

    async def misbound(test: Scenario) -> None:
        await test.port.until(lambda: test.controller.green_count is not None)
        test.port.misbound = why
        test.clock.advance(PORT_POLL)  # seen first
        await ports_polled(test)
        test.clock.advance(MISBOUND_FOR)  # still so: the cause, not a moment of start-up
        assert await test.ended() == ("finished", Status.FAILED, False)

    port = run(misbound, tmp_path)
    assert port.events[-1].message.endswith(f"green task set failed: {why}")
    assert ("terminate", TaskSetRole.GREEN) in port.calls


def test_a_new_reason_within_a_state_is_noted_but_fails_nothing_twice(tmp_path: Path) -> None:
    refused = Reason(ReasonCode.FAILED_HEALTH_CHECKS, "Health checks failed", "connection refused")
    mismatch = Reason(
        ReasonCode.RESPONSE_CODE_MISMATCH, "Health checks failed with these codes: [404]"
    )

    async def flapping(test: Scenario) -> None:
        await test.green_healthy()
        await test.shifted_to(20)
        test.controller.green_target_changed("127.0.0.1:1", TargetState.UNHEALTHY, refused)
        test.controller.green_target_changed("127.0.0.1:1", TargetState.UNHEALTHY, mismatch)
        assert await test.ended() == ("finished", Status.FAILED, False)

    port = run(flapping, tmp_path)
    failed = [e for e in port.events if e.kind is EventKind.TASK_SET and "failed" in e.message]
    assert len(failed) == 1 and "connection refused" in failed[0].message
    assert not any(e.message.startswith("ignored") for e in port.events)


def test_a_crash_loop_caused_by_a_sibling_on_the_apps_fixed_port_names_the_port(
    tmp_path: Path,
) -> None:
    why = "task 1 listens on 0.0.0.0:80, not on $PORT=5000; set `[local] command` ..."

    async def crashing(test: Scenario) -> None:
        await test.port.until(lambda: test.controller.green_count is not None)
        test.port.misbound = why  # seen first by the crash count, not the poll
        for _ in range(CRASHES_BEFORE_FAILED):
            test.controller.green_task_exited(1, "OSError: [Errno 98] Address already in use")
        assert await test.ended() == ("finished", Status.FAILED, False)

    port = run(crashing, tmp_path)
    assert port.events[-1].message.endswith(f"green task set failed: {why}")


def test_a_task_listening_elsewhere_only_for_a_moment_fails_nothing(tmp_path: Path) -> None:
    async def starting(test: Scenario) -> None:
        await test.port.until(lambda: test.controller.green_count is not None)
        for misbound in ("task 1 listens on 127.0.0.1:9100, not on $PORT=5000; ...", None) * 3:
            test.port.misbound = misbound  # a metrics port first, then its own
            test.clock.advance(MISBOUND_FOR * 0.75)
            await ports_polled(test)
        await test.green_healthy()
        await test.shifted_to(20)
        test.controller.request_stop(rollback=True)
        assert await test.ended() == ("finished", Status.STOPPED, False)

    port = run(starting, tmp_path)
    assert not [i for i in port.inputs if i["type"] == "TaskSetFailed"]
