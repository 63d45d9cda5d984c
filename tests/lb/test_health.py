import httpx

from bluegreen.lb.health_check import HealthChecker
from bluegreen.lb.target import Target, TargetState
from bluegreen.lb.target_group import TargetGroup
from bluegreen.spec.config import HealthCheckConfig
from tests.apps.lb_backend import Backend

from .harness import balancer, run, wait_for

H, U, INIT = TargetState.HEALTHY, TargetState.UNHEALTHY, TargetState.INITIAL


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
        checker.record(target, ok)
        states.append(target.state)
    assert states == [INIT, INIT, H, H, U, U, U, H, H, H, H]
    assert changes == [(INIT, H), (H, U), (U, H)]
    assert group.healthy_count == 1


def test_initial_target_becomes_unhealthy_after_unhealthy_threshold_failures() -> None:
    _, target, checker = group_with_target(healthy_threshold=2, unhealthy_threshold=3)
    for _ in range(2):
        checker.record(target, False)
    assert target.state is INIT
    checker.record(target, False)
    assert target.state is U


def test_real_probes_move_a_target_out_and_back_and_matcher_is_applied() -> None:
    async def scenario() -> None:
        async with balancer({"blue": 100}) as setup:
            group, backend = setup.groups["blue"], setup.backends["blue"][0]
            target = group.targets[0]
            seen: list[TargetState] = []
            group.subscribe(lambda t, old, new: seen.append(new))
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
