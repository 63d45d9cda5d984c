import asyncio
import contextlib
import socket

import httpx

from bluegreen.lb.health_check import HealthChecker, probe
from bluegreen.lb.target import Target, TargetState
from bluegreen.lb.target_group import TargetGroup
from bluegreen.lb.target_health import PASSED, CheckResult, Reason, ReasonCode, failed
from bluegreen.spec.config import HealthCheckConfig
from tests.apps.lb_backend import Backend

from .harness import balancer, run, wait_for

H, U, INIT = TargetState.HEALTHY, TargetState.UNHEALTHY, TargetState.INITIAL
REFUSED = failed("connection refused")


def result(ok: bool) -> CheckResult:
    return PASSED if ok else REFUSED


def group_with_target(**thresholds: int) -> tuple[TargetGroup, Target, HealthChecker]:
    config = HealthCheckConfig(path="/health", interval=1, timeout=0.5, **thresholds)
    group = TargetGroup("web", config, deregistration_delay=0)
    return group, group.register("127.0.0.1", 1), HealthChecker(group)


def test_transitions_follow_the_thresholds() -> None:
    group, target, checker = group_with_target(healthy_threshold=3, unhealthy_threshold=2)
    changes: list[tuple[TargetState, TargetState]] = []
    group.subscribe(lambda t, old, new: changes.append((old, new)))
    states = []
    for ok in (True, True, True, False, False, True, True, True, False, True, False):
        checker.record(target, result(ok))
        states.append(target.state)
    assert states == [INIT, INIT, H, H, U, U, U, H, H, H, H]
    assert [(old, new) for old, new in changes if old is not new] == [(INIT, H), (H, U), (U, H)]
    assert group.healthy_count == 1


def test_initial_target_becomes_unhealthy_after_unhealthy_threshold_failures() -> None:
    _, target, checker = group_with_target(healthy_threshold=2, unhealthy_threshold=3)
    for _ in range(2):
        checker.record(target, REFUSED)
    assert target.state is INIT
    checker.record(target, REFUSED)
    assert target.state is U


def test_real_probes_move_a_target_out_and_back_and_matcher_is_applied() -> None:
    async def scenario() -> None:
        async with balancer({"blue": 100}) as setup:
            group, backend = setup.groups["blue"], setup.backends["blue"][0]
            target = group.targets[0]
            seen: list[TargetState] = []
            group.subscribe(lambda t, old, new: seen.append(new) if old is not new else None)
            backend.health_status = 404  # outside the default matcher "200"
            await wait_for(lambda: target.state is U)
            backend.health_status = 200
            await wait_for(lambda: target.state is H)
            assert seen[:2] == [U, H] and target.state is H

    run(scenario())


def test_a_target_gets_traffic_only_once_healthy() -> None:
    async def scenario() -> None:
        async with balancer({"blue": 100}) as setup:
            group = setup.groups["blue"]
            newcomer = await Backend("newcomer").start()
            try:
                newcomer.health_status = 500
                target = group.register("127.0.0.1", newcomer.port)
                assert group.register("127.0.0.1", newcomer.port) is target  # no duplicates
                async with httpx.AsyncClient(base_url=setup.url) as client:
                    before = {(await client.get("/")).text for _ in range(20)}
                    newcomer.health_status = 200
                    await wait_for(lambda: target.state is H)
                    after = {(await client.get("/")).text for _ in range(20)}
                assert before == {"blue"} and after == {"blue", "newcomer"}
            finally:
                await newcomer.stop()

    run(scenario())


def test_group_fails_open_when_every_target_is_unhealthy() -> None:
    async def scenario() -> None:
        async with balancer({"blue": 100}) as setup:
            setup.backends["blue"][0].health_status = 500
            await wait_for(lambda: setup.groups["blue"].healthy_count == 0)
            async with httpx.AsyncClient(base_url=setup.url) as client:
                assert (await client.get("/")).text == "blue"

    run(scenario())


def unused_port() -> int:
    """A port nobody listens on: bound to learn a free number, then closed."""
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def checked(path: str = "/health", timeout: float = 0.3) -> HealthCheckConfig:
    return HealthCheckConfig(path=path, interval=1, timeout=timeout)


def test_a_404_is_a_response_code_mismatch_naming_the_code() -> None:
    async def scenario() -> Reason | None:
        backend = await Backend("web").start()
        backend.health_status = 404
        try:
            return (await probe("127.0.0.1", backend.port, checked())).failure
        finally:
            await backend.stop()

    reason = run(scenario())
    assert reason == Reason(
        ReasonCode.RESPONSE_CODE_MISMATCH,
        "Health checks failed with these codes: [404]",
        "GET /health answered 404",
    )


def test_no_answer_in_time_is_a_timeout_that_gives_the_milliseconds() -> None:
    async def scenario() -> Reason | None:
        backend = await Backend("web").start()
        try:
            return (await probe("127.0.0.1", backend.port, checked("/sleep/5000", 0.25))).failure
        finally:
            await backend.stop()

    reason = run(scenario())
    assert reason is not None and reason.code is ReasonCode.TIMEOUT
    assert (reason.description, reason.detail) == (
        "Request timed out",
        "no answer to GET /sleep/5000 within 250 ms",
    )


def test_a_refused_connection_fails_the_health_checks_and_says_refused() -> None:
    result = run(probe("127.0.0.1", unused_port(), checked()))
    assert result.refused and result.failure is not None
    assert result.failure.code is ReasonCode.FAILED_HEALTH_CHECKS
    assert (
        str(result.failure) == "Target.FailedHealthChecks: Health checks failed; connection refused"
    )


def test_an_answer_that_is_not_http_fails_the_health_checks_and_quotes_it() -> None:
    async def scenario() -> CheckResult:
        async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.write(b"SSH-2.0-OpenSSH\r\n")
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(garbage, "127.0.0.1", 0)
        async with server:
            return await probe("127.0.0.1", server.sockets[0].getsockname()[1], checked())

    failure = run(scenario()).failure
    assert failure is not None and failure.code is ReasonCode.FAILED_HEALTH_CHECKS
    assert failure.detail == "not an HTTP response: b'SSH-2.0-OpenSSH\\r\\n'"


def test_the_reason_follows_the_state_as_alb_gives_it() -> None:
    group, target, checker = group_with_target(healthy_threshold=2, unhealthy_threshold=2)
    seen = [str(target.reason)]
    group.subscribe(lambda t, old, new: seen.append(str(t.reason)))
    for check in (REFUSED, REFUSED, PASSED, PASSED):
        checker.record(target, check)
    run(group.deregister(target))
    assert seen == [
        "Elb.RegistrationInProgress: Target registration is in progress",
        "Elb.InitialHealthChecking: Initial health checks in progress; "
        "last check: Target.FailedHealthChecks, connection refused",
        "Target.FailedHealthChecks: Health checks failed; connection refused",
        "None",
        "Target.DeregistrationInProgress: Target deregistration is in progress",
        "Target.NotRegistered: Target is not registered to the target group",
    ]


def test_a_new_reason_within_a_state_is_told_to_subscribers() -> None:
    group, target, checker = group_with_target(healthy_threshold=2, unhealthy_threshold=2)
    told: list[tuple[TargetState, TargetState, str]] = []
    group.subscribe(lambda t, old, new: told.append((old, new, str(t.reason.code))))
    timeout = CheckResult(False, Reason(ReasonCode.TIMEOUT, "Request timed out", "500 ms"))
    for check in (REFUSED, REFUSED, REFUSED, timeout, timeout):
        checker.record(target, check)
    assert told == [
        (INIT, INIT, "Elb.InitialHealthChecking"),
        (INIT, U, "Target.FailedHealthChecks"),
        (U, U, "Target.Timeout"),
    ]


def test_a_target_says_its_health_as_status_shows_it() -> None:
    _, target, checker = group_with_target(healthy_threshold=2, unhealthy_threshold=2)
    assert target.health() == {
        "target": "127.0.0.1:1",
        "state": "initial",
        "reason": "Elb.RegistrationInProgress",
        "description": "Target registration is in progress",
        "detail": "",
    }
    assert not target.refused
    checker.record(target, REFUSED)
    assert target.refused
    checker.record(target, PASSED)
    checker.record(target, PASSED)
    assert target.health() == {"target": "127.0.0.1:1", "state": "healthy"}
    assert not target.refused
