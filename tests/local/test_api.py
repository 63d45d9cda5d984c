"""The admin API in-process: a real HTTP client against `build_app` over a
`LocalService` of real parts (listeners on free ports, a SQLite file, the
process driver), without the daemon's process or the CLI's.

The one deployment here runs a command that exits at once, so it fails in
about a second and needs no app: enough to see the API's verbs, its errors
and its read-your-writes (a status right after a deploy sees it).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from aiohttp import web

from bluegreen.local.api import build_app
from bluegreen.local.service import LocalService
from bluegreen.spec.config import BluegreenConfig
from bluegreen.tasks.process_driver import ProcessDriver

from .harness import free_port

TOKEN = "secret"
TASKDEF = {
    "family": "web",
    "containerDefinitions": [
        {"name": "web", "image": "local/web:dev", "essential": True,
         "portMappings": [{"containerPort": 8000}]}
    ],
}  # fmt: skip


def config_for() -> BluegreenConfig:
    return BluegreenConfig.model_validate(
        {
            "service": {
                "name": "web",
                "desired_count": 1,
                "container": "web",
                "container_port": 80,
            },
            "local": {"command": "exit 1", "prod_port": free_port(), "test_port": free_port()},
        }
    )


@asynccontextmanager
async def api(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, BluegreenConfig]]:
    config = config_for()
    state = tmp_path / ".bluegreen"
    service = LocalService(config, tmp_path, state, ProcessDriver(state))
    runner = web.AppRunner(build_app(service, TOKEN, asyncio.Event()), access_log=None)
    await runner.setup()
    await service.start()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    headers = {"Authorization": f"Bearer {TOKEN}"}
    try:
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as client:
            yield client, config
    finally:
        await service.close()
        await runner.cleanup()


def test_the_api_refuses_without_the_token_and_says_what_is_missing(tmp_path: Path) -> None:
    async def main() -> None:
        async with api(tmp_path) as (client, _):
            bare = await client.get("/api/deployments", headers={"Authorization": ""})
            assert bare.status_code == 401
            assert (await client.get("/api/deployments")).json() == []
            latest = await client.get("/api/deployments/latest")
            assert latest.status_code == 400 and latest.json()["error"] == "no deployments yet"
            stop = await client.post("/api/deployments/latest/stop", json={})
            assert stop.status_code == 400
            metrics = await client.get("/metrics")
            assert metrics.status_code == 200 and b"bluegreen" in metrics.content

    asyncio.run(main())


def test_a_host_that_is_not_loopback_is_refused_before_the_token(tmp_path: Path) -> None:
    async def main() -> None:
        async with api(tmp_path) as (client, _):
            for host in ("evil.example", "evil.example:8080", "127.0.0.1.evil.example"):
                for path in ("/", "/api/deployments"):
                    answer = await client.get(path, headers={"Host": host})
                    assert answer.status_code == 421, (host, path)
                    assert "not a loopback name" in answer.json()["error"]
            port = client.base_url.port
            for host in (f"localhost:{port}", f"127.0.0.1:{port}", "[::1]", f"[::1]:{port}"):
                answer = await client.get("/api/deployments", headers={"Host": host})
                assert answer.status_code == 200, host

    asyncio.run(main())


def test_deploy_status_events_and_refusals_through_the_api(tmp_path: Path) -> None:
    async def main() -> None:
        async with api(tmp_path) as (client, config):
            body = {"taskdef": TASKDEF, "config": config.model_dump(mode="json")}
            created = await client.post("/api/deployments", json=body)
            assert created.status_code == 201
            deployment_id = created.json()["deployment_id"]
            status = (await client.get(f"/api/deployments/{deployment_id}")).json()
            assert status["deployment_id"] == deployment_id  # the API reads its own writes
            again = await client.post("/api/deployments", json=body)
            assert again.status_code == 409 and "in flight" in again.json()["error"]

            events = await follow(client, deployment_id)
            assert events[-1]["status"] == "Failed" and "exited 3 times" in events[-1]["message"]
            ended = (await client.get("/api/deployments/latest")).json()
            assert ended["status"] == "Failed" and ended["revision"] == "web:1"
            late = await client.post(f"/api/deployments/{deployment_id}/continue", json={})
            assert late.status_code == 400
            assert late.json()["error"] == f"no deployment in flight: {deployment_id} is Failed"
            history = (await client.get("/api/deployments")).json()
            assert [row["deployment_id"] for row in history] == [deployment_id]

    asyncio.run(main())


async def follow(client: httpx.AsyncClient, deployment_id: str) -> list[dict[str, Any]]:
    """The event stream with `follow=1`, read to its `end`."""
    found: list[dict[str, Any]] = []
    path = f"/api/deployments/{deployment_id}/events"
    async with client.stream("GET", path, params={"follow": "1"}) as stream:
        async for line in stream.aiter_lines():
            if line.startswith("event: end"):
                return found
            if line.startswith("data: "):
                found.append(json.loads(line.removeprefix("data: ")))
    raise AssertionError(f"the stream ended without `end`: {found}")


def test_who_started_a_deployment_is_recorded_and_must_be_text(tmp_path: Path) -> None:
    async def main() -> None:
        async with api(tmp_path) as (client, config):
            body = {"taskdef": TASKDEF, "config": config.model_dump(mode="json")}
            wrong = await client.post("/api/deployments", json={**body, "started_by": 7})
            assert wrong.status_code == 400 and "started_by" in wrong.json()["error"]
            assert (await client.get("/api/deployments")).json() == []  # nothing was started
            created = await client.post("/api/deployments", json={**body, "started_by": "ann@box"})
            deployment_id = created.json()["deployment_id"]
            await follow(client, deployment_id)
            (row,) = (await client.get("/api/deployments")).json()
            assert row["details"] == {"blue_revision": None, "started_by": "ann@box"}
            nothing = await client.post("/api/rollback", json={"config": body["config"]})
            assert nothing.status_code == 400
            assert nothing.json()["error"] == (
                "nothing to roll back to: no deployment has succeeded yet"
            )

    asyncio.run(main())
