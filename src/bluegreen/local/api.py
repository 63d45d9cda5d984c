"""The daemon's admin API: JSON over HTTP on 127.0.0.1, events as Server-Sent Events.

Every request carries the token from `.bluegreen/token` (`Authorization:
Bearer ...`); anything else gets 401. A request whose `Host` is not a
loopback name gets 421 before the token is looked at: a page on another
site that points a name of its own at 127.0.0.1 (DNS rebinding) can then
reach neither the dashboard nor the API, token or not. User mistakes answer 400, refusals
(a deployment already in flight) 409, each with `{"error": message}`, which
the client turns back into the same `bluegreen.errors` exception.
A call that changes something (any method but GET) carrying an `Origin`
that is not this server's gets 403: browsers send Origin, so another site
open in the same browser can't press the dashboard's buttons, even if it
somehow had the token. `/metrics` is Prometheus text; `/api/live` what is
true now (phase, countdown, targets, splits, possible actions); `/` the
dashboard, a static page that reads the API with the token given after `#`.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any

from aiohttp import web

from ..engine.events import EventKind
from ..errors import PlatformError, SpecError, UsageError
from ..spec.config import BluegreenConfig
from .event_log import UNSTORED
from .live_view import live_view
from .service import LocalService

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SERVICE: web.AppKey[LocalService] = web.AppKey("service", LocalService)
SHUTDOWN: web.AppKey[asyncio.Event] = web.AppKey("shutdown", asyncio.Event)


def build_app(service: LocalService, token: str, shutdown: asyncio.Event) -> web.Application:
    app = web.Application(middlewares=[_loopback_host, _same_origin, _authorize(token), _errors])
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
            web.get("/api/platform", platform),
            web.get("/api/live", live),
            web.get("/metrics", metrics),
            web.get("/", dashboard),
        ]
    )
    return app


# The text format generate_latest writes, as every Prometheus version reads it.
PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]"})


@web.middleware
async def _loopback_host(request: web.Request, handler: Handler) -> web.StreamResponse:
    host = request.headers.get("Host", "")
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    if name.lower() not in LOOPBACK_HOSTS:
        message = f"Host {host!r} is not a loopback name; use http://127.0.0.1:<port>"
        return web.json_response({"error": message}, status=421)
    return await handler(request)


@web.middleware
async def _same_origin(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A call that changes something and comes from a page must come from this
    page: a browser names the page's origin, and it must be this server's."""
    origin = request.headers.get("Origin")
    if request.method != "GET" and origin is not None:
        expected = f"http://{request.headers.get('Host', '')}"
        if origin != expected:
            message = f"Origin {origin!r} may not change anything here; use the dashboard"
            return web.json_response({"error": message}, status=403)
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


async def history(request: web.Request) -> web.Response:
    limit = int(request.query.get("limit", "20"))
    rows = await request.app[SERVICE].history(limit)
    return web.json_response([r.summary().to_dict() for r in rows])


async def status(request: web.Request) -> web.Response:
    """The deployment's summary, plus every target as it is now, with its reason."""
    service = request.app[SERVICE]
    row = await service.status(request.match_info["id"])
    answer = row.summary().to_dict()
    answer["details"]["targets"] = service.targets_now()
    return web.json_response(answer)


async def deploy(request: web.Request) -> web.Response:
    body = await request.json()
    config = BluegreenConfig.model_validate(body["config"])
    service = request.app[SERVICE]
    started_by, image = _started_by(body), body.get("image")
    deployment_id = await service.deploy(body["taskdef"], config, started_by, image)
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
    """The CLI sends the project's config; the dashboard sends none and gets the daemon's."""
    body = await request.json()
    service = request.app[SERVICE]
    given = body.get("config")
    config = BluegreenConfig.model_validate(given) if given else service.config
    deployment_id = await service.rollback(config, body.get("to"), _started_by(body))
    return web.json_response({"deployment_id": deployment_id})


async def platform(request: web.Request) -> web.Response:
    """The bluegreen.toml the daemon started with (its ports, its driver)."""
    return web.json_response({"config": request.app[SERVICE].config.model_dump(mode="json")})


def _started_by(body: dict[str, Any]) -> str:
    """Who the client says started it (recorded, shown by `history`); text or nothing."""
    value = body.get("started_by", "")
    if not isinstance(value, str):
        raise UsageError(f"started_by: expected text, got {type(value).__name__}")
    return value


async def shutdown_daemon(request: web.Request) -> web.Response:
    request.app[SHUTDOWN].set()
    drain = request.app[SERVICE].stop_bound()
    return web.json_response({"stopping": True, "drain_seconds": drain})


async def live(request: web.Request) -> web.Response:
    return web.json_response(live_view(request.app[SERVICE]))


async def dashboard(request: web.Request) -> web.Response:
    page = resources.files("bluegreen.local").joinpath("dashboard.html").read_text()
    return web.Response(text=page, content_type="text/html")


async def metrics(request: web.Request) -> web.Response:
    text = await request.app[SERVICE].metrics_text()
    return web.Response(body=text, headers={"Content-Type": PROMETHEUS_TEXT})


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
            last = max(last, seq)
        while follow and not ended:
            seq, event = await queue.get()
            if seq == UNSTORED or seq > last:
                await _send(response, seq, event.to_dict())
                last = max(last, seq)
            ended = event.kind is EventKind.STATUS and event.status.terminal
    await response.write(b"event: end\ndata: {}\n\n")
    return response


async def _send(response: web.StreamResponse, seq: int, data: dict[str, Any]) -> None:
    """An event; one the store could not keep has no id to resume from."""
    ident = "" if seq == UNSTORED else f"id: {seq}\n"
    await response.write(f"{ident}data: {json.dumps(data)}\n\n".encode())
