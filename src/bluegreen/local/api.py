"""The daemon's admin API: JSON over HTTP on 127.0.0.1, events as Server-Sent Events.

Every request carries the token from `.bluegreen/token` (`Authorization:
Bearer ...`); anything else gets 401. A request whose `Host` is not a
loopback name gets 421 before the token is looked at: a page on another
site that points a name of its own at 127.0.0.1 (DNS rebinding) can then
reach neither the dashboard nor the API, token or not. User mistakes answer 400, refusals
(a deployment already in flight) 409, each with `{"error": message}`, which
the client turns back into the same `bluegreen.errors` exception.
`/metrics` is the load balancer's Prometheus text; `/` a small dashboard
(a static page that reads the API with the token given after `#`).
"""

from __future__ import annotations

import asyncio
import hmac
import json
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any

from aiohttp import web

from ..engine.events import EventKind, Weights
from ..errors import PlatformError, SpecError, UsageError
from ..platform import DeploymentSummary
from ..spec.config import BluegreenConfig
from .event_log import UNSTORED
from .service import LocalService
from .store import DeploymentRow

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SERVICE: web.AppKey[LocalService] = web.AppKey("service", LocalService)
SHUTDOWN: web.AppKey[asyncio.Event] = web.AppKey("shutdown", asyncio.Event)


def build_app(service: LocalService, token: str, shutdown: asyncio.Event) -> web.Application:
    app = web.Application(middlewares=[_loopback_host, _authorize(token), _errors])
    app[SERVICE] = service
    app[SHUTDOWN] = shutdown
    app.add_routes(
        [
            web.get("/api/deployments", history),
            web.post("/api/deployments", deploy),
            web.get("/api/deployments/{id}", status),
            web.get("/api/deployments/{id}/events", events),
            web.post("/api/deployments/{id}/continue", continue_deployment),
            web.post("/api/deployments/{id}/stop", stop),
            web.post("/api/rollback", rollback),
            web.post("/api/shutdown", shutdown_daemon),
            web.get("/metrics", metrics),
            web.get("/", dashboard),
        ]
    )
    return app


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]"})


@web.middleware
async def _loopback_host(request: web.Request, handler: Handler) -> web.StreamResponse:
    host = request.headers.get("Host", "")
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    if name.lower() not in LOOPBACK_HOSTS:
        message = f"Host {host!r} is not a loopback name; use http://127.0.0.1:<port>"
        return web.json_response({"error": message}, status=421)
    return await handler(request)


def _authorize(token: str) -> Any:
    expected = f"Bearer {token}".encode()

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path == "/" and request.method == "GET":
            return await handler(request)  # the static page; its data needs the token
        given = request.headers.get("Authorization", "").encode()
        if not hmac.compare_digest(given, expected):
            return web.json_response({"error": "missing or wrong token"}, status=401)
        return await handler(request)

    return middleware


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except (SpecError, UsageError) as exc:
        return web.json_response({"error": str(exc)}, status=400)
    except PlatformError as exc:
        return web.json_response({"error": str(exc)}, status=409)


def summary(row: DeploymentRow) -> dict[str, Any]:
    """A `platform.DeploymentSummary` as JSON."""
    weights = Weights(**row.weights) if row.weights else None
    return DeploymentSummary(
        deployment_id=row.id,
        status=row.status,
        revision=row.revision,
        platform="local",
        created=row.created,
        ended=row.ended,
        weights=weights,
        message=row.message,
        rollback_of=row.rollback_of,
        details={"blue_revision": row.blue_revision},
    ).to_dict()


async def history(request: web.Request) -> web.Response:
    limit = int(request.query.get("limit", "20"))
    rows = await request.app[SERVICE].history(limit)
    return web.json_response([summary(r) for r in rows])


async def status(request: web.Request) -> web.Response:
    row = await request.app[SERVICE].status(request.match_info["id"])
    return web.json_response(summary(row))


async def deploy(request: web.Request) -> web.Response:
    body = await request.json()
    config = BluegreenConfig.model_validate(body["config"])
    deployment_id = await request.app[SERVICE].deploy(body["taskdef"], config)
    return web.json_response({"deployment_id": deployment_id}, status=201)


async def continue_deployment(request: web.Request) -> web.Response:
    deployment_id = await request.app[SERVICE].continue_deployment(request.match_info["id"])
    return web.json_response({"deployment_id": deployment_id})


async def stop(request: web.Request) -> web.Response:
    body = await request.json() if request.can_read_body else {}
    service = request.app[SERVICE]
    deployment_id = await service.stop(request.match_info["id"], body.get("rollback"))
    return web.json_response({"deployment_id": deployment_id})


async def rollback(request: web.Request) -> web.Response:
    body = await request.json()
    config = BluegreenConfig.model_validate(body["config"])
    deployment_id = await request.app[SERVICE].rollback(config, body.get("to"))
    return web.json_response({"deployment_id": deployment_id})


async def shutdown_daemon(request: web.Request) -> web.Response:
    request.app[SHUTDOWN].set()
    return web.json_response({"stopping": True})


async def dashboard(request: web.Request) -> web.Response:
    page = resources.files("bluegreen.local").joinpath("dashboard.html").read_text()
    return web.Response(text=page, content_type="text/html")


async def metrics(request: web.Request) -> web.Response:
    text = request.app[SERVICE].metrics_text()
    return web.Response(body=text, content_type="text/plain")


async def events(request: web.Request) -> web.StreamResponse:
    """The deployment's log from `after`, then (with `follow`) live until it ends."""
    service = request.app[SERVICE]
    row = await service.status(request.match_info["id"])
    follow = request.query.get("follow") == "1"
    last = int(request.query.get("after", "0"))
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
    )
    await response.prepare(request)
    with service.events.subscription(row.id) as queue:
        logged, ended = await service.events.since(row.id, last)
        for seq, event in logged:
            await _send(response, seq, event.to_dict())
            last = seq
        while follow and not ended:
            seq, event = await queue.get()
            if seq == UNSTORED:  # a warning the store could not keep: no id to resume from
                await response.write(f"data: {json.dumps(event.to_dict())}\n\n".encode())
            elif seq > last:
                await _send(response, seq, event.to_dict())
                last = seq
            ended = event.kind is EventKind.STATUS and event.status.terminal
    await response.write(b"event: end\ndata: {}\n\n")
    return response


async def _send(response: web.StreamResponse, seq: int, data: dict[str, Any]) -> None:
    await response.write(f"id: {seq}\ndata: {json.dumps(data)}\n\n".encode())
