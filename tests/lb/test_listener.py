import httpx
import pytest

from .harness import balancer, run


def test_weight_change_takes_effect_on_the_next_request() -> None:
    async def scenario() -> None:
        async with balancer({"blue": 100, "green": 0}) as setup:
            async with httpx.AsyncClient(base_url=setup.url) as client:
                assert (await client.get("/")).text == "blue"
                setup.listener.set_weights({"blue": 0, "green": 100})
                assert (await client.get("/")).text == "green"
                setup.listener.set_weights({"blue": 100, "green": 0})
                assert (await client.get("/")).text == "blue"
            assert dict(setup.listener.weights) == {"blue": 100, "green": 0}

    run(scenario())


def test_unknown_target_group_in_weights_is_refused_and_weights_kept() -> None:
    async def scenario() -> None:
        async with balancer({"blue": 100}) as setup:
            with pytest.raises(ValueError, match="purple"):
                setup.listener.set_weights({"purple": 100})
            assert dict(setup.listener.weights) == {"blue": 100}

    run(scenario())


def test_all_weights_zero_answers_503_from_the_proxy() -> None:
    async def scenario() -> None:
        async with balancer({"blue": 100}) as setup:
            setup.listener.set_weights({"blue": 0})
            async with httpx.AsyncClient(base_url=setup.url) as client:
                response = await client.get("/")
            assert response.status_code == 503
            assert setup.served("blue") == 0

    run(scenario())


def test_port_zero_listens_on_a_free_port_read_back() -> None:
    async def scenario() -> None:
        async with balancer({"blue": 100}) as setup:
            second = await setup.lb.add_listener("test", 0)
            second.set_weights({"blue": 100})
            assert second.port not in (0, setup.listener.port)
            async with httpx.AsyncClient() as client:
                assert (await client.get(f"http://127.0.0.1:{second.port}/")).text == "blue"

    run(scenario())
