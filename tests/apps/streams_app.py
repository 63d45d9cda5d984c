"""An aiohttp app with long-lived connections, shut down as aiohttp's own
documentation shows ("Graceful shutdown"): at SIGTERM `web.run_app` stops
listening, then the app's `on_shutdown` closes every WebSocket with 1001
(going away) and ends every event stream with a last event, then the process
exits. Nothing in it knows about bluegreen; it reads only `PORT`.

Routes: `/health`; `/events`, Server-Sent Events: a `hello` event carrying the
process id, then a tick every 50 ms, and an `event: shutdown` at the end;
`/ws`, a WebSocket saying `hello <pid>`, then a tick every 50 ms.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import weakref

from aiohttp import WSCloseCode, web

TICK = 0.05
SOCKETS = web.AppKey("sockets", weakref.WeakSet[web.WebSocketResponse])
STOPPING = web.AppKey("stopping", asyncio.Event)


async def health(request: web.Request) -> web.Response:
    return web.Response(text="ok")


async def events(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)
    await response.write(f"event: hello\ndata: {os.getpid()}\n\n".encode())
    stopping = request.app[STOPPING]
    tick = 0
    while not stopping.is_set():
        tick += 1
        await response.write(f"data: tick {tick}\n\n".encode())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), TICK)
    await response.write(b"event: shutdown\ndata: bye\n\n")
    await response.write_eof()
    return response


async def socket(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    request.app[SOCKETS].add(ws)
    await ws.send_str(f"hello {os.getpid()}")
    tick = 0
    while not ws.closed:
        tick += 1
        await ws.send_str(f"tick {tick}")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ws.receive(), TICK)
    return ws


async def on_shutdown(app: web.Application) -> None:
    app[STOPPING].set()
    for ws in set(app[SOCKETS]):
        await ws.close(code=WSCloseCode.GOING_AWAY, message=b"Server shutdown")


def make_app() -> web.Application:
    app = web.Application()
    app[SOCKETS] = weakref.WeakSet()
    app[STOPPING] = asyncio.Event()
    app.add_routes([web.get("/health", health), web.get("/events", events), web.get("/ws", socket)])
    app.on_shutdown.append(on_shutdown)
    return app


if __name__ == "__main__":
    web.run_app(make_app(), host="127.0.0.1", port=int(os.environ["PORT"]), print=None)
