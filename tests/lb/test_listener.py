import select
import socket
import time

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


def test_a_thousand_clients_connecting_at_once_are_all_taken_while_the_loop_is_busy() -> None:
    """The connects run while the loop can't accept (this test holds it), so
    each completes only if the listen backlog has room for it; one past the
    backlog would wait for a SYN retransmit that the held queue also drops."""
    clients = 1000

    async def scenario() -> None:
        async with balancer({"blue": 100}) as setup:
            sockets = [socket.socket() for _ in range(clients)]
            try:
                for sock in sockets:
                    sock.setblocking(False)
                    sock.connect_ex(("127.0.0.1", setup.listener.port))
                assert connected(sockets, timeout=3.0) == clients
            finally:
                for sock in sockets:
                    sock.close()

    run(scenario())


def connected(sockets: list[socket.socket], timeout: float) -> int:
    """How many of these non-blocking connects complete within `timeout`
    (waiting for them, without yielding to the event loop)."""
    poller = select.poll()
    for sock in sockets:
        poller.register(sock, select.POLLOUT)
    done: set[int] = set()
    deadline = time.monotonic() + timeout
    while len(done) < len(sockets) and time.monotonic() < deadline:
        for fd, _ in poller.poll(50):
            poller.unregister(fd)
            done.add(fd)
    return sum(
        1
        for s in sockets
        if s.fileno() in done and not s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    )
